# The core's errors as the technician reads them (core/src/error.rs), and the photo, report
# and return-facts errors inside them. Messages name ids and steps, never customer data.

err-not-found = { $entity } { $id } not found
err-blocked = cannot { $action }: { $count } outstanding: { $list }{ $more ->
    [0] {""}
   *[other] {" "}(and { $more } more)
}
err-invalid = invalid { $field }: { $reason }
err-photo = photo: { $detail }
err-template = template: { $detail }
err-database-too-new = the database is at schema version { $found }, newer than this app supports ({ $supported }); update the app
err-wrong-key = the database key does not open this device's database; nothing was changed
err-storage = storage: { $detail }
err-file = file: { $detail }
err-network = network: { $detail }
err-tls = TLS: { $detail }
err-server = server refused ({ $status } { $code }): { $message }
err-report = customer's copy: { $detail }
err-not-enrolled = this device is not enrolled with a server
# The FFI's own failures (bindings/src/error.rs).
err-callback = callback failed: { $detail }
err-internal = internal error: { $detail }

entity-attachment = attachment
entity-device = device
entity-fee-schedule = fee schedule
entity-finding = finding
entity-loaner = loaner
entity-open-visit-of-work-order = open visit of work order
entity-part = part
entity-template = template
entity-work-order = work order
entity-replenishment = replenishment

photo-empty = the photo is empty
photo-too-large = the photo is { $bytes } bytes, more than the limit of { $max }
photo-unknown-format = not a JPEG or PNG image
photo-unsupported = unsupported image: { $detail }
photo-corrupt = corrupt image: { $detail }
photo-too-many-pixels = the image is { $width }×{ $height } pixels, more than the limit of { $max }
photo-unreadable = cannot read the photo: { $detail }

report-not-signed = job { $job } has no customer signature yet; the customer's copy is made after sign-off
report-signed-content-altered = the signed content of job { $job } does not match its hash
report-font = font: { $detail }
report-render = pdf: { $detail }

facts-negative-price = { $field } is negative ({ $value } fen)
facts-paid-above-list = the price paid ({ $paid } fen) is more than the original price ({ $list } fen)
facts-request-before-sale = the request ({ $requested_at }) is before the sale ({ $sold_at })
facts-out-of-range = a date is out of range
facts-misuse-contradicts-fault = misuse was found but the fault is put on the { $fault }
price-field-pricepaid = PricePaid
price-field-listprice = ListPrice
price-field-currentprice = CurrentPrice
fault-none = None
fault-product = Product
fault-company = Company
fault-customer = Customer
entity-step = step
