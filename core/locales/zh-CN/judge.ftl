# 核对规则发现的问题（core/src/sync/replay 的 `Said`）：服务器保存的完工暂扣原因、被拒操作的原因、
# 签名问题。只写编号和步骤名，不含客户个人信息。

refused-word = 拒绝原因：{ $reason }
op-unknown-entity = 未知的操作对象「{ $entity }」
op-unknown-kind = 服务器不认识操作「{ $kind }」：请升级服务器，该操作已保留
op-unsupported-version = 操作「{ $kind }」的版本 { $version } 比服务器支持的版本（{ $supported }）新：请升级服务器，该操作已保留
op-bad-payload = 操作「{ $kind }」的内容无效
check-chain-breaks = 工单时间线中有 { $count } 条记录不符合哈希链：被修改、删除或插入
check-other-visit = 完工指向的不是当前上门
sig-not-listed = 完工未列出本次上门的全部签名
sig-of = 签名 { $signature }：{ $problem }
sig-not-bound = 签名 { $signature } 未绑定到摘要
sig-strokes-differ = 签名笔迹画不出所附的签名图片
sig-work-order-changed = 签名后工单信息有改动
sig-other-visit = 该签名是在另一次上门时所签
sig-changed = 签名后{ $item }有改动
sig-removed = 签名后{ $item }被删除
sig-unsigned = { $item }{ $why ->
    [before] 在签名前已记录，但未经客户签认
    [after_sign_off] 在客户签字结单后才记录
   *[untimed] 不在工单时间线中
}
sig-fees-changed = 签名后约定的费用有改动
sig-fee-consent-removed = 签名后费用确认被删除
sig-take-back-changed = 签名后取回收据有改动
sig-item-finding = 异常发现 { $id }
sig-item-answer = 步骤 { $step } 的回答
sig-item-part = 配件记录 { $id }
sig-item-photo = 照片 { $id }
sig-item-fee-consent = 一份费用确认

## 核对规则拒绝操作的固定原因（`Refused::new` 的原文，由 `refused-word` 以 `invalid-` 前缀经 `word` 显示）。
refused-gate = 还不能{ $action }：{ $list }
refused-text-empty = { $field }为空
refused-text-too-long = { $field }超过 { $max } 个字符
invalid-a-finding-is-acknowledged-by-the-customer-s-signature-not-when-written = 异常发现须由客户签名确认，而不是在记录时确认
invalid-a-take-back-receipt-is-signed-by-the-customer-alone-on-no-step = 取回收据只能由客户本人签署，且不属于任何步骤
invalid-an-agreed-item-is-not-on-the-schedule = 约定的收费项目不在收费标准中
invalid-feedback-is-given-on-site-before-completion = 客户评价须在现场、完工前填写
invalid-no-checklist-is-published-for-this-job = 该工单没有已发布的检查清单
invalid-no-fee-item-was-agreed = 没有约定任何收费项目
invalid-no-loaner-of-this-job-has-that-id = 该工单没有这个编号的备用机
invalid-not-a-job-op = 不是工单操作
invalid-not-a-photo-named-by-its-sha-256 = 不是以 SHA-256 命名的照片
invalid-the-agreed-window-ends-before-it-starts = 约定的时间段结束早于开始
invalid-the-call-does-not-name-the-planned-visit = 电话记录未指明已计划的上门
invalid-the-call-names-another-job = 电话记录指向另一个工单
invalid-the-call-that-plans-a-visit-names-none = 计划上门的电话记录未指明上门
invalid-the-customer-was-not-shown-the-summary-they-signed = 客户签名前未看到所签的摘要
invalid-the-event-carries-no-timeline-hash = 该记录没有时间线哈希
invalid-the-fee-is-settled-while-the-work-is-under-way-in-close-out = 费用须在施工进行中或收尾阶段结算
invalid-the-fee-schedule-named-was-never-published = 所指的收费标准从未发布
invalid-the-finding-is-not-on-this-visit = 该异常发现不属于本次上门
invalid-the-image-is-not-named-by-its-sha-256 = 图片不是以其 SHA-256 命名
invalid-the-loaner-is-not-the-receipt-s = 备用机与收据上的不一致
invalid-the-loaner-was-already-returned = 备用机已归还
invalid-the-new-eta-is-not-in-the-future = 新的预计到达时间不在将来
invalid-the-op-does-not-name-the-visit-under-way = 操作未指明正在进行的上门
invalid-the-part-is-not-in-the-catalog = 配件不在配件目录中
invalid-the-photo-is-not-one-of-this-visit-s = 该照片不属于本次上门
invalid-the-planned-visit-needs-a-new-visit-id = 计划的上门需要新的上门编号
invalid-the-quantity-is-not-between-1-and-10000 = 数量不在 1 到 10000 之间
invalid-the-rating-is-not-between-1-and-5 = 评分不在 1 到 5 之间
invalid-the-receipt-names-a-loaner-not-given = 收据上的备用机并未借出
invalid-the-receipt-names-another-job = 收据指向另一个工单
invalid-the-record-names-another-visit-than-the-op = 记录所指的上门与操作不一致
invalid-the-signature-carries-no-strokes = 签名没有笔迹
invalid-the-signature-is-not-bound-to-the-timeline-as-it-stood = 签名未绑定到签名时的时间线
invalid-the-signature-is-not-over-the-visit-s-records-as-they-stand = 签名与本次上门的现有记录不符
invalid-the-signature-names-another-device-than-the-one-that-sent-it = 签名所指的设备不是发送它的设备
invalid-the-signature-record-does-not-match-its-seal = 签名记录与其封印不符
invalid-the-signature-s-time-is-not-the-time-it-was-recorded = 签名时间与记录时间不一致
invalid-the-summary-carried-does-not-hash-to-the-one-signed = 所附摘要的哈希与所签摘要不符
invalid-the-summary-shown-is-not-the-visit-s-records-as-they-stand = 展示的摘要与本次上门的现有记录不符
invalid-the-total-is-not-the-sum-of-the-agreed-items-on-the-published-schedule = 总额不等于按已发布收费标准计算的约定项目之和
invalid-the-window-ends-before-it-starts = 时间段结束早于开始
invalid-this-finding-was-already-recorded = 该异常发现已记录过
invalid-this-photo-is-already-on-the-visit = 该照片已在本次上门中
invalid-without-a-receipt-the-invoice-is-due-3-days-after-the-settlement = 没有收据时，发票须在结算后 3 天内开具
refused-chain-mismatch = 「{ $kind }」不符合工单时间线：有记录被修改、删除或插入
refused-template-unpublished = 检查清单 { $template } 第 { $version } 版未发布
invalid-the-packed-strokes-are-longer-than-any-signature = 压缩笔迹的长度超过任何签名
invalid-the-packed-strokes-are-not-base64 = 压缩笔迹不是 base64 编码
invalid-the-packed-strokes-are-of-an-unknown-version = 压缩笔迹的版本未知
invalid-the-packed-strokes-end-early = 压缩笔迹提前结束
invalid-the-packed-strokes-hold-a-number-out-of-range = 压缩笔迹中有超出范围的数值
invalid-the-packed-strokes-have-bytes-after-their-last-point = 压缩笔迹在最后一个点之后还有多余字节
invalid-the-packed-strokes-hold-more-points-than-a-signature-may = 压缩笔迹的点数超过签名允许的上限
invalid-the-signature-carries-its-strokes-both-packed-and-as-points = 签名同时带有压缩笔迹和逐点笔迹
