# The dashboard's frame: what every page shares.
app-name-code = FieldKit
nav-board = Board
nav-new-job = New job
nav-flags = Flags
nav-technicians = Technicians
nav-devices = Devices
nav-measures = Measures
nav-money = Cash and invoices
nav-complaints = Complaints
nav-callbacks = Callbacks
nav-stock = Spare parts
nav-accounts = Accounts
nav-audit = Audit log
change-password = Change password
log-out = Log out
language = Language
language-switch-code = 中文
