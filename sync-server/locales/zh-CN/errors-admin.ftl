# Errors of the JSON API's admin routes (the desk): work orders, links, accounts, cash,
# invoices, complaints, callbacks, holiday calendar, measures, SLA, technicians' profiles,
# spare parts, webhooks, templates. Field names stay as they are, in backticks in Chinese.
# Arguments: ids, numbers, field names, dates of the calendar; never personal data.

err-account-disable-self = 不能停用自己的账号。
err-account-role-self = 不能更改自己的角色。

err-admin-only = 只有管理员可以这样做。

err-after-negative = `after` 不能为负数。

err-calendar-backward-range = 节假日日历无效：假期 { $from } 至 { $to } 的结束早于开始。
err-calendar-bad-date = 节假日日历无效：有一项不是日期（YYYY-MM-DD）。
err-calendar-date-outside-year = 节假日日历无效：{ $date } 列在了 { $year } 年下。
err-calendar-date-twice = 节假日日历无效：{ $date } 列出了两次。
err-calendar-holiday-and-working = 节假日日历无效：{ $date } 既是假日又是工作日。
err-calendar-malformed = 节假日日历无效：不是所需格式的 JSON（缺少字段、多出字段或类型不对）。
err-calendar-no-source = 节假日日历无效：{ $year } 年缺少来源（`source_url`）。
err-calendar-no-years = 节假日日历无效：没有列出任何年份。
err-calendar-working-day-weekday = 节假日日历无效：调休上班日 { $date } 不是周六或周日。
err-calendar-year-not-covered = 节假日日历未包含 { $year } 年。
err-calendar-year-range = 节假日日历无效：{ $year } 年超出范围（{ $min }–{ $max }）。
err-calendar-year-twice = 节假日日历无效：{ $year } 年列出了两次。

err-callback-complaint-note = 登记投诉时须在备注中写明客户所说。
err-callback-finished = 回访已结束。
err-callback-rating = 接通时须有 1 到 5 的评分；未接通时不可评分或登记问题。
err-callback-revision = 回访已被他人修改（当前版本 { $revision }），请刷新后重试。
err-callback-rules-days = `within_days` 应在 1 到 30 之间。
err-callback-rules-percent = `sample_percent` 应在 0 到 100 之间。
err-callback-stale = 回访已被他人修改，请刷新后重试。

err-cash-amount = 金额应为 1 至 100000000 分。
err-cash-note = 备注最多 500 个字符。

err-complaint-already-handled = 投诉已处理，请先回复客户处理结果。
err-complaint-channel = `channel` 应为 `phone`、`letter`、`visit` 或 `online`（设备和回访产生的投诉由服务器登记）。
err-complaint-closed = 投诉已结案。
err-complaint-not-assessed = 请先认定投诉（有效性、原因、责任方）。
err-complaint-not-handled = 投诉尚未处理，没有可回复的结果。
err-complaint-not-later = 延期后的期限须晚于当前期限。
err-complaint-revision = 投诉已被他人修改（当前版本 { $revision }），请刷新后重试。
err-complaint-stale = 投诉已被他人修改，请刷新后重试。
err-complaint-technician-naming = 责任方为技师时须指明技师，其他情况不可指明。
err-complaint-too-late = 期限已过，不能再延期，请尽快处理。

err-completion-state = `state` 应为 `checking`、`counted`、`held`、`released`、`rejected` 或 `conflict`。

err-date-out-of-range = 日期超出范围。

err-employee-number = 工号（`employee_number`）应为 1 到 32 个字母、数字或连字符。
err-employee-number-taken = 工号已被其他技师使用。

err-fee-schedule = 收费标准的每一项金额须为 0 或以上。

err-field-date = `{ $field }` 应为日期（YYYY-MM-DD）。
err-field-instant = `{ $field }` 应为 RFC 3339 时间或日期（YYYY-MM-DD）。
err-field-length = `{ $field }` 应为 1 到 { $max } 个字符。
err-field-out-of-range = `{ $field }` 超出范围。

err-from-before-to = `from` 必须早于 `to`。

err-hours-backwards = `{ $at }`：结束时间须晚于开始时间。
err-hours-format = `{ $at }`：开始和结束时间应为 HH:MM。
err-hours-weekday = `{ $at }.weekday` 应为 1（周一）到 7（周日）。

err-invoice-issued-on = 开票日期（`issued_on`）应在结算日与今天之间。
err-invoice-no-settlement = 该工单没有待开发票的结算。
err-invoice-number = 发票号应为 1 到 64 个字符。
err-invoice-recorded = 该结算的发票已登记。
err-invoice-which-settlement = 该工单有多笔结算待开发票，请用 `settlement_id` 指明一笔。

err-job-already-cancelled = 该工单已经取消过了。
err-job-cancelled = 该工单已取消。
err-job-cancelled-no-child = 该工单已取消：请新建工单，而不是关联工单。
err-job-closed = 该工单已关闭。

err-last-event-id = `Last-Event-ID` 应为本事件流中的编号。

err-link-kind = `{ $job_kind }` 类型的工单不能作为关联工单 `{ $link }`。
err-link-no-next-day = `promised`：原工单的时段没有下一天，请指定一个时段。
err-link-number-too-long = `number`：原工单编号过长，无法据此编号，请指定一个编号。

err-login-taken = 该登录名已被使用。

err-minimum-range = 最低库存（`minimum`）应在 0 到 { $max } 之间。

err-no-held-completion = 该工单没有被扣留的完工记录。

err-note-length = 备注（`note`）应为 1 到 500 个字符。

err-password-length = 调度员密码应为 12 到 256 个字符。

err-period-length = 统计时段最长 { $days } 天。

err-phone = 电话（`phone`）应为 5 到 20 个数字、空格或连字符（可以 + 开头）。

err-received-at = `received_at` 不能晚于现在，最多可往前补登 { $days } 天。

err-replenishment-not-approved = 只能发放已批准的补货申请。
err-replenishment-not-raised = 只能批准待审批的补货申请。
err-replenishment-stale = 补货申请刚被改动，请刷新。

err-sale-after-request = 销售信息有误：报修时间早于销售时间。
err-sale-misuse = 销售信息有误：已认定使用不当，却把责任归于产品或公司。
err-sale-negative-price = 销售信息有误：`{ $field }` 不能为负数。
err-sale-paid-above-list = 销售信息有误：实付价格高于原价。

err-sla-note = 时限表的备注（`note`）最多 200 个字符，不含控制字符。
err-sla-range = `{ $at }.{ $field }`：应在 1 到 { $max } 之间。
err-sla-row-missing = `{ $at }`：缺少该区域与工单类型的时限（每个区域和工单类型都需要一行）。
err-sla-row-twice = `{ $at }`：重复。
err-sla-supervisor = `{ $at }.supervisor`：主管姓名应为 1 到 64 个字符，不含控制字符。
err-sla-version-race = 另一个时限版本刚刚保存，请重试。

err-template-invalid = 检查单模板无效（详见 `detail`）。

err-text-length = `{ $field }` 应为 1 到 { $max } 个字符。

err-too-many-hours = 工作时间最多 { $max } 行。
err-too-many-products = `{ $at }`：最多 { $max } 个产品。
err-too-many-qualifications = 资质最多 { $max } 项。
err-too-many-skills = 技能最多 { $max } 项。

err-until-day = `until` 应为日期（YYYY-MM-DD）。

err-valid-minutes = `valid_minutes` 应在 1 到 10080 之间。

err-verify-hash = `h` 应为 SHA-256：64 位十六进制字符。
err-verify-job-id = 这不是工单编号。

err-webhook-events = `events` 应为已知事件类型的列表：`{ $known }`。
err-webhook-exists = 该 Webhook 编号已存在。
err-webhook-secret = `secret` 应为 16 到 256 个字符。
err-webhook-url = `url` 应为 http 或 https 网址，最多 2000 个字符。
err-webhook-url-https = `url` 必须使用 https（只有服务器允许的地址可用明文 http）。
err-webhook-url-internal = `url` 是内部地址（本服务器不允许）。
err-webhook-url-invalid = `url` 不是有效的网址。

err-window = 承诺时段须在开始之后结束，且不超过 31 天。
err-window-backwards = 时段的结束早于开始。

err-work-order-exists = 已有相同编号的工单。

# Registered tools (004 二 第14条)
err-not-found-tool = 没有这个工具。
err-tool-technician-id = 请填写技师（最多 64 个字符）。
err-tool-name = 请填写工具名称（最多 100 个字符，不含控制字符）。
err-tool-asset-number = 请填写资产编号（最多 64 个字符，不含控制字符）。
err-tool-loss-report = 工具报失须写明经过。
err-tool-report-too-long = 报失经过最多 2000 个字符。
err-tool-happened-at = 丢失时间应在发放之后、现在之前。
err-tool-asset-out = 该资产编号的工具已发放，尚未归还。
err-tool-not-issued = 该工具已归还或已报失。
