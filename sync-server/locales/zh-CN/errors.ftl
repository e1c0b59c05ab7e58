# Errors of the JSON API (ErrorBody.message): requests, authentication, the phone's
# enrolment, push, pull and blobs, and what any route may answer (not found, too many
# requests, busy, internal). Whole sentences; `code` names and field names stay as they are.
# Arguments: ids, numbers, field and header names; never personal data.

err-auth-device-on-dispatcher-route = 设备令牌不能访问调度员接口。
err-auth-device-revoked = 该设备的访问权限已被撤销。
err-auth-header-malformed = `Authorization` 请求头格式不正确。
err-auth-not-device-token = 这不是设备令牌。
err-auth-not-dispatcher-token = 这不是调度员的令牌。
err-auth-token-malformed = 持有者令牌（`Bearer`）格式不正确。
err-auth-token-required = 需要持有者令牌（`Authorization: Bearer …`）。
err-auth-unknown-device-token = 设备令牌无效。

err-blob-chunk = 此处每块最多 { $limit } 字节（文件剩余的长度或分块上限）。
err-blob-hash-mismatch = 收到的数据与此 SHA-256 不符：上传已作废，请从 0 重新发送。
err-blob-name = 文件须以其小写十六进制 SHA-256 命名。
err-blob-offset-past-end = 偏移量超出了文件末尾。
err-blob-resume = 服务器已收到 { $offset } 字节：请从那里继续上传。
err-blob-size = 文件大小应为 1 到 { $max } 字节。
err-blob-upload-cut = 上传中断：请从服务器给出的偏移量继续。

err-body-too-large = 请求正文过大。
err-body-unreadable = 无法读取请求正文（可能被截断或压缩格式有误）。

err-busy = 服务器繁忙，请在 { $seconds } 秒后再试；本次请求未做任何更改。

err-cursor-negative = `cursor` 不能为负数。

err-device-no-key = 该设备没有密钥：请用新的注册码重新注册。
err-device-other-technician = 该设备已注册给另一位技术员。
err-device-time = `{ $header }` 请求头应为自纪元起的毫秒数。

err-enrol-race = 该设备刚刚用另一个注册码完成了注册。

err-enrolment-code-invalid = 注册码无效、已过期或已被使用。
err-enrolment-code-other-key = 该注册码已用于另一个设备密钥。
err-enrolment-proof = 注册证明与密钥不符。

err-hash-not-sha256 = 第 { $index } 个哈希值不是小写十六进制的 SHA-256。

err-header-byte-count = 缺少 `{ $header }` 请求头（字节数）。

err-internal = 服务器内部错误，请稍后再试。

err-json-content-type = 请求须带 `Content-Type: application/json`。
err-json-data = 请求正文的字段不符合要求：缺少字段、多出字段或类型不对（详见 `detail`）。
err-json-syntax = 请求正文不是有效的 JSON（详见 `detail`）。

err-limit-range = `limit` 应在 1 到 { $max } 之间。

err-not-found-account = 找不到该账号。
err-not-found-blob = 找不到该文件。
err-not-found-cache = 找不到缓存。
err-not-found-callback = 找不到该回访。
err-not-found-complaint = 找不到该投诉。
err-not-found-completion = 找不到该完工记录。
err-not-found-device = 找不到该设备。
err-not-found-enrolment-code = 找不到该注册码。
err-not-found-replenishment = 找不到该补货申请。
err-not-found-settlement = 找不到该结算。
err-not-found-technician = 找不到该技术员。
err-not-found-technician-profile = 找不到该技术员的档案。
err-not-found-webhook = 找不到该 Webhook。
err-not-found-work-order = 找不到该工单。

err-nul = 文本不能包含 NUL（U+0000）字符。

err-op-field-length = 第 { $op } 条操作：`{ $field }` 最多 { $max } 个字符。

err-ops-order = `ops` 须按 `seq` 递增排列。

err-path = 路径参数无效（详见 `detail`）。

err-proof = `proof` 应为 128 位小写十六进制数字。

err-public-key = `public_key` 应为 64 位小写十六进制数字。

err-push-signature-mismatch = 上传签名与设备密钥不符。
err-push-signature-missing = 上传需要设备签名（`fieldkit-signature` 请求头）。
err-push-too-many-ops = 每次上传最多 { $max } 条操作。

err-query = 查询参数无效或未知（详见 `detail`）。

err-status-bad-request = 请求无效。
err-status-conflict = 请求与现有数据冲突。
err-status-forbidden = 没有权限。
err-status-method-not-allowed = 该地址不支持此请求方法。
err-status-not-found = 找不到该地址。
err-status-other = 请求失败（HTTP { $status }）。
err-status-payload-too-large = 请求正文过大。
err-status-unauthorized = 需要身份验证。
err-status-unavailable = 服务暂时不可用，请稍后再试。
err-status-unprocessable = 无法处理该请求。
err-status-unsupported-media-type = 不支持该请求正文的类型。

err-throttled = 请求过多，请在 { $seconds } 秒后再试。

err-too-many-hashes = 每次最多询问 { $max } 个哈希值。
err-too-many-requests = 请求过多，请稍后再试。

err-upload-length-zero = `{ $header }` 请求头应为 1 或以上。
