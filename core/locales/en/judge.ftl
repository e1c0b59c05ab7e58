# The judge's problems as a server stores them (core/src/sync/replay: `Said` values): a held
# completion's reasons, a refused op's reason, a signature's problems. Ids and step names
# only, never customer data. The English is what the core's string API has always said.

refused-word = { $reason }
op-unknown-entity = the op's entity `{ $entity }` is not known
op-unknown-kind = `{ $kind }` is not an op this server knows: update the server, the op is kept
op-unsupported-version = version { $version } of `{ $kind }` is newer than this server knows ({ $supported }): update the server, the op is kept
op-bad-payload = the payload of `{ $kind }` is not valid
check-chain-breaks = { $count } event(s) of the job's timeline do not follow its hash chain: changed, removed or inserted
check-other-visit = the completion names another visit
sig-not-listed = the completion does not list the visit's signatures
sig-of = signature { $signature }: { $problem }
sig-not-bound = signature { $signature } is not bound to a summary
sig-strokes-differ = the strokes do not draw the signature image
sig-work-order-changed = the work order's details changed since signing
sig-other-visit = it was given on another visit
sig-changed = { $item } changed since signing
sig-removed = { $item } was removed after signing
sig-unsigned = { $item } { $why ->
    [before] was recorded before the signature but not signed
    [after_sign_off] was recorded after the customer signed off the record
   *[untimed] is not in the job's timeline
}
sig-fees-changed = the fees agreed changed since signing
sig-fee-consent-removed = the fee consent was removed after signing
sig-take-back-changed = the take-back receipt changed since signing
sig-item-finding = finding { $id }
sig-item-answer = the answer to step { $step }
sig-item-part = part record { $id }
sig-item-photo = photo { $id }
sig-item-fee-consent = a fee consent
