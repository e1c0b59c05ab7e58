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
