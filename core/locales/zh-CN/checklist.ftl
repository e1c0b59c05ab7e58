# 检查清单的阻碍项与拒绝理由（core/src/checklist/engine/report.rs）。`{ $name }` 是步骤在
# 读者语言中的名称；`{ $step }` 是步骤编号。

block-unanswered = 尚未完成：{ $name }。
block-needs-photos = { $name }：还需 { $more } 张照片（已有 { $have } 张，共需 { $need } 张）。
block-needs-signature = { $name }：等待{ $role ->
    [customer] 客户
   *[technician] 技师
}签名。
block-consent-refused = { $name }：客户不同意收费，收费施工不能进行。
block-call-not-reached = { $name }：尚未电话联系上客户。
block-finding-not-acknowledged = 有 { $count } 项已记录的异常客户尚未签字确认。
block-needs-finding = { $name }：请记录异常并请客户签字。
block-parts-changed = { $name }：确认后记录的配件有变动；请重新核对。
block-copy-not-handed = { $name }：请把客户最后签署内容的副本交给客户。
block-loaner-out = { $name }：还有 { $count } 台备用机未归还。
block-no-sale-record = { $name }：工单没有销售记录，退换货规则无法判定；请联系客服中心补录。
block-decision-changed = { $name }：判定后销售记录有变动；请重新判定。
block-signature-mismatch = { $name }：客户签名与记录不再相符（{ $problem }）；请重新展示摘要并请客户重新签名。

step-unknown = 步骤 `{ $step }` 不在本检查清单中
step-not-applicable = 步骤 `{ $step }` 不适用于本次上门
step-phase-not-open = 步骤 `{ $step }` 属于「{ $phase }」阶段，上门处于「{ $stage }」时该阶段未开放
step-out-of-order = 步骤 `{ $step }` 还不能做：请先完成 { $missing }
step-wrong-kind = 步骤 `{ $step }` 需要{ $expected }
step-needs-evidence = 步骤 `{ $step }` 由证据（照片、签名或上门前电话）完成，不能直接作答
step-out-of-range = 步骤 `{ $step }`：{ $value } { $unit } 超出允许范围 { $min }–{ $max } { $unit }
step-not-an-option = `{ $value }` 不是步骤 `{ $step }` 的选项
step-too-short = 步骤 `{ $step }` 至少需要 { $min } 个字符
step-bad-serial = 步骤 `{ $step }` 需要序列号：1 到 { $max } 个字符，不含空格或控制字符
step-bad-ids = 步骤 `{ $step }` 最多需要 { $max } 个配件编号，每个都不含空格
step-bad-hash = 步骤 `{ $step }` 需要 SHA-256 哈希：64 位小写十六进制数字
step-not-a-number = 步骤 `{ $step }` 需要一个有限的数字
step-exception-not-allowed = 步骤 `{ $step }` 不能以例外跳过
step-empty-reason = 步骤 `{ $step }` 的例外需要说明原因
step-wrong-signer = 步骤 `{ $step }` 需要{ $role ->
    [customer] 客户
   *[technician] 技师
}签名
step-parts-mismatch = 步骤 `{ $step }`：确认的配件与本次上门记录的配件不一致
step-not-the-signed-copy = 步骤 `{ $step }`：该副本不是客户最近一次签署的内容
step-nothing-signed = 步骤 `{ $step }`：客户尚未签名，没有可交付的副本
step-loaners-differ = 步骤 `{ $step }`：`{ $value }` 与工单的备用机记录不符
step-finding-not-named = 步骤 `{ $step }`：客户签名必须指明本次上门的一项异常记录
step-no-sale-record = 步骤 `{ $step }`：工单没有销售记录，退换货规则无法判定
step-bad-return-facts = 步骤 `{ $step }`：退换货事实自相矛盾：{ $error }
step-not-the-return-decision = 步骤 `{ $step }`：记录的判定（结果、理由、计价依据或金额）与退换货规则对该销售的判定（{ $decided }）不一致

phase-before-leaving = 出发前
phase-arrival = 到达
phase-assessment = 检查评估
phase-work = 施工
phase-close-out = 收尾
stage-planned = 已计划
stage-en-route = 在途
stage-on-site = 在现场
stage-working = 施工中

expects-a-confirmation = 一个确认
expects-a-yes-no-answer = 是或否的回答
expects-one-of-its-options = 其中一个选项
expects-a-text = 一段文字
expects-a-number = 一个数字
expects-photos = 照片
expects-a-signature = 一个签名
expects-a-serial-number = 序列号
expects-the-customer-s-fee-consent = 客户的费用确认
expects-the-pre-visit-call = 上门前电话
expects-the-customer-s-feedback-a-rating = 客户评价（评分）
expects-the-customer-s-signature-on-a-finding = 客户在异常记录上的签名
expects-the-parts-recorded-confirmed = 已确认的配件记录
expects-the-hash-of-the-signed-copy-handed-over = 已交付签署副本的哈希
expects-the-loaner-status-the-loaner-records-show = 备用机记录所示的备用机状态
expects-the-findings-with-the-returns-rules-decision = 检查结果及退换货规则的判定

outcome-return = 退货
outcome-exchange = 换货
outcome-repaironly = 仅维修
outcome-refused = 不予退换
