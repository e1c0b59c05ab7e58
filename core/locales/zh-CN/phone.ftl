# 核心的错误提示（core/src/error.rs），以及其中的照片、客户联和退换货事实错误。
# 只写编号和步骤，不写客户信息。

err-not-found = 找不到{ $entity } { $id }
err-blocked = 无法{ $action }：还有 { $count } 项未完成：{ $list }{ $more ->
    [0] {""}
   *[other] （另有 { $more } 项）
}
err-invalid = { $field }无效：{ $reason }
err-photo = 照片：{ $detail }
err-template = 模板有误：{ $detail }
err-database-too-new = 数据库的版本是 { $found }，比本应用支持的版本（{ $supported }）新；请更新应用
err-wrong-key = 数据库密钥打不开本设备的数据库；没有做任何改动
err-storage = 存储出错：{ $detail }
err-file = 文件出错：{ $detail }
err-network = 网络出错：{ $detail }
err-tls = 安全连接（TLS）失败：{ $detail }
err-server = 服务器拒绝了请求（{ $status } { $code }）：{ $message }
err-report = 客户联：{ $detail }
err-not-enrolled = 本设备尚未在服务器注册
# FFI 自身的失败（bindings/src/error.rs）。
err-callback = 回调失败：{ $detail }
err-internal = 内部错误：{ $detail }

entity-attachment = 附件
entity-device = 设备
entity-fee-schedule = 收费标准
entity-finding = 异常记录
entity-loaner = 备用机
entity-open-visit-of-work-order = 进行中的上门，工单
entity-part = 配件
entity-template = 模板
entity-work-order = 工单
entity-replenishment = 补货单

photo-empty = 照片是空的
photo-too-large = 照片有 { $bytes } 字节，超过上限 { $max }
photo-unknown-format = 不是 JPEG 或 PNG 图片
photo-unsupported = 不支持的图片：{ $detail }
photo-corrupt = 图片已损坏：{ $detail }
photo-too-many-pixels = 图片有 { $width }×{ $height } 像素，超过上限 { $max }
photo-unreadable = 无法读取照片：{ $detail }

report-not-signed = 工单 { $job } 还没有客户签名；客户联在签字确认后生成
report-signed-content-altered = 工单 { $job } 的签署内容与其哈希不符
report-font = 字体出错：{ $detail }
report-render = 生成 PDF 出错：{ $detail }

facts-negative-price = { $field }为负数（{ $value } 分）
facts-paid-above-list = 实付价格（{ $paid } 分）高于原价（{ $list } 分）
facts-request-before-sale = 申请时间（{ $requested_at }）早于销售时间（{ $sold_at }）
facts-out-of-range = 日期超出范围
facts-misuse-contradicts-fault = 已发现使用不当，但责任却归于{ $fault }
price-field-pricepaid = 实付价格
price-field-listprice = 原价
price-field-currentprice = 现价
fault-none = 无责任方
fault-product = 产品
fault-company = 公司
fault-customer = 客户
entity-step = 步骤
