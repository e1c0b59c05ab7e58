# The public verify page behind the QR code on the customer's copy (the customer reads it).
verify-title = 单据核验
verify-job = 工单 ID
verify-completed = 完工时间（北京时间）
verify-matches = 一致
verify-mismatch = 不一致
verify-unknown = 无记录
verify-matches-text = 此单据与服务器记录一致。
verify-mismatch-text = 此单据与服务器记录不一致，请联系客服核实。
verify-unknown-text = 服务器没有此单据的签字记录。
