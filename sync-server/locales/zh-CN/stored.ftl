# 服务器以代码加参数保存的内容（src/stored.rs）：标记、完工暂扣原因、被拒操作的原因、审计日志的详情。
# 只含编号和数字，不含客户个人信息。编号：`stored-` 加上以短横连接的代码。

## 处理推送时产生的标记。
stored-clock-skew = 设备时钟比服务器{ $direction ->
    [ahead] 快
   *[behind] 慢
} { $seconds } 秒
stored-fact-after-cancellation = 服务台取消工单后仍记录了「{ $kind }」
stored-fact-after-reassignment = 工单改派后仍记录了「{ $kind }」
stored-signature-refused = 客户拒绝在服务记录上签名
stored-redelivery-requested = 开箱发现货物损坏：请创建重新配送工单
stored-settlement-differs = 实收 { $settled } 分，与客户确认的总额 { $consented } 分不符
stored-second-completion = 工单已有完工记录，又收到一次完工：作为事实保留，不计入
stored-completed-after-cancellation = 服务台取消工单后，设备上仍完工
stored-completed-after-reassignment = 工单改派后，设备上仍完工
stored-stock-short-on-job = 工单用了 { $quantity } 个 { $sku }；服务器台账只有 { $held } 个
stored-stock-short = 取出 { $quantity } 个 { $sku }；服务器台账只有 { $held } 个
stored-stock-count-differs = 盘点 { $sku } 为 { $counted } 个；服务器台账为 { $held } 个

## 操作被拒或作为冲突保留的原因。
stored-unknown-job = 该技师名下没有这个工单
stored-unknown-entity = 未知的操作对象
stored-stock-bad-entity = 库存操作须指明配件编码
stored-stock-entity-mismatch = 操作中的配件与信封中的不一致
stored-not-a-stock-op = 不是库存操作
stored-stock-quantity-range = 数量不在 1 到 10000 之间
stored-unknown-replenishment = 未向该车发放过此配件和数量的补货
stored-job-cancelled-fact = 服务台已取消此工单；该记录已保留并标记
stored-job-reassigned-fact = 此工单已改派给其他技师；该记录已保留并标记
stored-already-completed = 此工单已有完工记录；本次完工作为事实保留，不计入
stored-completion-kept-cancelled = 服务台取消工单后，设备上仍完工；完工已保留并标记
stored-completion-kept-reassigned = 工单改派后，设备上仍完工；完工已保留并标记
stored-completion-held = 已暂扣，等待服务台处理：共 { $count } 个问题（见完工原因）

## 审计日志的详情。
stored-audit-technician = 技师 { $technician }
stored-audit-technician-misfit = 技师 { $technician }；不符合：{ $codes }
stored-audit-code-valid = 有效期 { $minutes } 分钟
stored-audit-codes-unused = { $count } 个未使用
stored-audit-role = 角色：{ $role }
stored-audit-account-disabled = 账号已停用
stored-audit-failures-in-a-row = 连续 { $count } 次
stored-audit-wrong-password = 当前密码错误
stored-audit-child-of = { $parent } 的{ $kind }{ $technician ->
    [none] {""}
   *[other] ，技师 { $technician }
}
stored-audit-callback-rules = 安装单={ $installations } 投诉单={ $complaints } 抽样={ $sample }% 期限={ $within }天 种子={ $seed }
stored-audit-callback-call = { $outcome ->
    [not_reached] 未接通
    [answered_repair] 已接通，需维修
    [answered_complaint] 已接通，有投诉
   *[answered] 已接通
}
stored-audit-complaint-channel = 渠道：{ $channel }
stored-audit-complaint-change = 变更：{ $change }
stored-audit-calendar-years = 年份 { $years }
stored-audit-sla-version = 服务时限版本 { $version }
stored-audit-cash-hand-in = { $day } 上交 { $amount } 分
stored-audit-employee-number = 工号 { $number }
stored-audit-spares-minimum = { $sku } 最低库存 { $minimum }
stored-audit-spares-quantity = { $sku } 数量 { $quantity }
stored-audit-tool = 工具 { $tool }，资产编号 { $asset }
stored-audit-invoice = 结算 { $settlement }，发票 { $number }，开具日期 { $issued_on }
stored-audit-published = { $what ->
    [checklist_template] 检查清单模板
    [fee_schedule] 收费标准
    [catalog_part] 配件目录
   *[other] 参考数据
}
