# The dashboard's frame: what every page shares.
app-name-code = FieldKit
nav-board = 看板
nav-new-job = 新建工单
nav-flags = 标记
nav-technicians = 技术员
nav-devices = 设备
nav-measures = 服务指标
nav-money = 收款与发票
nav-complaints = 投诉
nav-callbacks = 回访
nav-stock = 备件
nav-accounts = 账号
nav-audit = 审计日志
change-password = 更改密码
log-out = 退出登录
language = 语言
language-switch-code = English
