//! The published OpenAPI 3.1 document (`GET /v1/openapi.json`), hand-written beside the
//! routes; a test checks it parses and names every route the router serves.

/// Every route served, as (method, OpenAPI path); the test holds the document to it.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("post", "/v1/enroll"),
    ("post", "/v1/push"),
    ("get", "/v1/pull"),
    ("post", "/v1/blobs/missing"),
    ("get", "/v1/blobs/{sha256}"),
    ("head", "/v1/blobs/{sha256}"),
    ("put", "/v1/blobs/{sha256}"),
    ("get", "/v1/admin/technicians"),
    ("post", "/v1/admin/technicians"),
    ("post", "/v1/admin/enrolment-codes"),
    ("get", "/v1/admin/devices"),
    ("post", "/v1/admin/devices/{id}/revoke"),
    ("get", "/v1/admin/work-orders"),
    ("post", "/v1/admin/work-orders"),
    ("get", "/v1/admin/work-orders/{id}"),
    ("post", "/v1/admin/work-orders/{id}/assign"),
    ("post", "/v1/admin/work-orders/{id}/reschedule"),
    ("post", "/v1/admin/work-orders/{id}/cancel"),
    ("get", "/v1/admin/completions"),
    ("post", "/v1/admin/templates"),
    ("post", "/v1/admin/fee-schedules"),
    ("post", "/v1/admin/parts"),
    ("get", "/v1/admin/measures"),
    ("get", "/v1/admin/measures.csv"),
    ("get", "/v1/admin/reports/daily"),
    ("get", "/v1/admin/reports/daily.csv"),
    ("post", "/v1/admin/work-orders/{id}/complaint-handled"),
    ("get", "/v1/admin/webhooks"),
    ("post", "/v1/admin/webhooks"),
    ("delete", "/v1/admin/webhooks/{id}"),
    ("post", "/v1/admin/webhooks/{id}/redeliver"),
    ("get", "/v1/admin/completions/stream"),
];

/// The document.
pub const DOCUMENT: &str = r##"{
  "openapi": "3.1.0",
  "info": {
    "title": "FieldKit sync server",
    "version": "1",
    "description": "Device sync protocol (enrolment, push, pull, blobs) and the dispatcher API. Request bodies refuse unknown fields; bodies may be gzip-compressed (Content-Encoding: gzip) and answers are compressed when asked (Accept-Encoding). Every 4xx/5xx carries an Error body."
  },
  "components": {
    "securitySchemes": {
      "device": {"type": "http", "scheme": "bearer", "description": "Device token from /v1/enroll (fkd_…)"},
      "dispatcher": {"type": "http", "scheme": "bearer", "description": "The admin token"}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
      "Op": {"type": "object", "additionalProperties": false,
        "required": ["op_id", "seq", "entity", "entity_id", "visit_id", "kind", "version", "payload", "hlc", "device_time", "hash"],
        "properties": {"op_id": {"type": "string", "format": "uuid"}, "seq": {"type": "integer"}, "entity": {"type": "string", "enum": ["work_order", "stock"]}, "entity_id": {"type": "string"}, "visit_id": {"type": ["string", "null"]}, "kind": {"type": "string"}, "version": {"type": "integer"}, "payload": {"type": "object"}, "hlc": {"type": "string"}, "device_time": {"type": "integer", "description": "ms since the epoch"}, "hash": {"type": ["string", "null"]}}},
      "OpResult": {"type": "object", "required": ["op_id", "seq", "outcome"],
        "properties": {"op_id": {"type": "string"}, "seq": {"type": "integer"}, "outcome": {"type": "string", "enum": ["applied", "duplicate", "rejected", "conflict", "gap"]}, "first": {"type": "string", "enum": ["applied", "rejected", "conflict"]}, "code": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]}, "expected": {"type": "integer"}}},
      "PushResponse": {"type": "object", "required": ["results", "acked_through"], "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/OpResult"}}, "acked_through": {"type": "integer", "description": "every op with seq <= this has a final, durable answer"}}},
      "Change": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["work_order", "cancellation", "removal", "checklist_template", "fee_schedule", "catalog_part"]}}},
      "PullResponse": {"type": "object", "required": ["changes", "cursor", "more"], "properties": {"changes": {"type": "array", "items": {"type": "object", "required": ["seq", "change"], "properties": {"seq": {"type": "integer"}, "change": {"$ref": "#/components/schemas/Change"}}}}, "cursor": {"type": "integer"}, "more": {"type": "boolean"}}},
      "BlobStatus": {"type": "object", "required": ["sha256", "offset", "complete"], "properties": {"sha256": {"type": "string"}, "offset": {"type": "integer"}, "complete": {"type": "boolean"}}}
    },
    "responses": {
      "Problem": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  },
  "paths": {
    "/healthz": {"get": {"summary": "Storage answers", "responses": {"200": {"description": "ok"}, "500": {"$ref": "#/components/responses/Problem"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format"}}}},
    "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "/v1/enroll": {"post": {"summary": "Exchange a one-time enrolment code for a device token (rate limited per address)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["code", "device_id"], "properties": {"code": {"type": "string"}, "device_id": {"type": "string", "format": "uuid"}}}}}},
      "responses": {"200": {"description": "device_id, technician_id, token"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "429": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/push": {"post": {"summary": "Push outbox ops in seq order (at most 500)", "security": [{"device": []}],
      "parameters": [{"name": "fieldkit-device-time", "in": "header", "required": false, "schema": {"type": "integer"}, "description": "the device clock when sending (ms); skew beyond the threshold is flagged"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["ops"], "properties": {"ops": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/Op"}}}}}}},
      "responses": {"200": {"description": "one result per op", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushResponse"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/pull": {"get": {"summary": "Changes for this technician after the cursor", "security": [{"device": []}],
      "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 0}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
      "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PullResponse"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/blobs/missing": {"post": {"summary": "Which blobs the server lacks", "security": [{"device": []}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["hashes"], "properties": {"hashes": {"type": "array", "maxItems": 1000, "items": {"type": "string"}}}}}}},
      "responses": {"200": {"description": "{missing: [sha256]}"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/blobs/{sha256}": {
      "parameters": [{"name": "sha256", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
      "get": {"summary": "Upload status (also in the Upload-Offset header)", "security": [{"device": []}], "responses": {"200": {"description": "status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BlobStatus"}}}}, "401": {"$ref": "#/components/responses/Problem"}}},
      "head": {"summary": "The server's offset in Upload-Offset", "security": [{"device": []}], "responses": {"200": {"description": "Upload-Offset header"}, "401": {"description": "unauthorised"}}},
      "put": {"summary": "Upload a chunk from Upload-Offset; Upload-Length is the blob's size; the SHA-256 is checked when whole", "security": [{"device": []}],
        "parameters": [{"name": "Upload-Offset", "in": "header", "required": true, "schema": {"type": "integer"}}, {"name": "Upload-Length", "in": "header", "required": true, "schema": {"type": "integer"}}],
        "requestBody": {"required": true, "content": {"application/octet-stream": {}}},
        "responses": {"200": {"description": "partial; status with the new offset"}, "201": {"description": "complete and verified"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/technicians": {
      "get": {"summary": "List technicians", "security": [{"dispatcher": []}], "responses": {"200": {"description": "technicians"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}},
      "post": {"summary": "Create a technician {name}", "security": [{"dispatcher": []}], "responses": {"201": {"description": "the technician"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/enrolment-codes": {"post": {"summary": "A one-time, expiring enrolment code {technician_id, valid_minutes?}", "security": [{"dispatcher": []}], "responses": {"201": {"description": "{code, technician_id, expires_at}"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/devices": {"get": {"summary": "List devices", "security": [{"dispatcher": []}], "responses": {"200": {"description": "devices"}}}},
    "/v1/admin/devices/{id}/revoke": {"post": {"summary": "Revoke a device's token", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"204": {"description": "revoked"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders": {
      "get": {"summary": "List work orders (?technician_id=)", "security": [{"dispatcher": []}], "responses": {"200": {"description": "work orders"}}},
      "post": {"summary": "Create a work order (dispatcher-owned fields, optional technician_id)", "security": [{"dispatcher": []}], "responses": {"201": {"description": "the job"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders/{id}": {"get": {"summary": "One work order", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"200": {"description": "the job"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders/{id}/assign": {"post": {"summary": "Assign or reassign {technician_id}", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"200": {"description": "the job"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders/{id}/reschedule": {"post": {"summary": "Move the promised window {promised: {start, end}}", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"200": {"description": "the job"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders/{id}/cancel": {"post": {"summary": "Cancel {reason}", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"200": {"description": "the job"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/completions": {"get": {"summary": "Completions received, newest first, with their flags (?limit=)", "security": [{"dispatcher": []}], "responses": {"200": {"description": "completions"}}}},
    "/v1/admin/templates": {"post": {"summary": "Publish a checklist template {template}", "security": [{"dispatcher": []}], "responses": {"201": {"description": "{seq}"}, "400": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/fee-schedules": {"post": {"summary": "Publish a fee schedule {fee_schedule}", "security": [{"dispatcher": []}], "responses": {"201": {"description": "{seq}"}, "400": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/parts": {"post": {"summary": "Publish a catalog part {part}", "security": [{"dispatcher": []}], "responses": {"201": {"description": "{seq}"}, "400": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/measures": {"get": {"summary": "Quality measures of the jobs whose promised window starts in [from, to): fleet, per technician (with the 0-100 score and band), per zone", "security": [{"dispatcher": []}],
      "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "string"}, "description": "RFC 3339 time or local date YYYY-MM-DD (inclusive)"}, {"name": "to", "in": "query", "required": true, "schema": {"type": "string"}, "description": "RFC 3339 time (exclusive) or local date (that day included); at most 366 days after from"}, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}],
      "responses": {"200": {"description": "the measures (JSON, or text/csv with one row per scope)"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/measures.csv": {"get": {"summary": "The measures as CSV (same query as /v1/admin/measures)", "security": [{"dispatcher": []}],
      "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "to", "in": "query", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "text/csv"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/reports/daily": {"get": {"summary": "The daily technician work report: jobs by category and time spent (travel, on site; paused apart)", "security": [{"dispatcher": []}],
      "parameters": [{"name": "date", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}],
      "responses": {"200": {"description": "the report (JSON, or text/csv with one row per technician)"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/reports/daily.csv": {"get": {"summary": "The daily report as CSV", "security": [{"dispatcher": []}],
      "parameters": [{"name": "date", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}],
      "responses": {"200": {"description": "text/csv"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/work-orders/{id}/complaint-handled": {"post": {"summary": "Record that the desk handled the customer's complaint on this job (the first time counts)", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}], "responses": {"200": {"description": "{work_order_id, handled_at}"}, "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/webhooks": {
      "get": {"summary": "Webhook subscriptions, without secrets, with pending/delivered/failed counts and the last error", "security": [{"dispatcher": []}], "responses": {"200": {"description": "[{id, url, events, created_at, pending, delivered, failed, last_error}]"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}},
      "post": {"summary": "Subscribe {url, events?: [work_order.completed], secret?}; completions entering the feed from now on are POSTed at least once, signed (FieldKit-Signature: t=<unix>,v1=<hex HMAC-SHA256 of 't.body'>), with FieldKit-Delivery: <event id> to dedupe on", "security": [{"dispatcher": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["url"], "properties": {"url": {"type": "string", "format": "uri"}, "events": {"type": "array", "items": {"type": "string", "enum": ["work_order.completed"]}}, "secret": {"type": "string", "minLength": 16, "maxLength": 256}}}}}},
        "responses": {"201": {"description": "{id, url, events, secret, created_at}: the only time the secret is shown"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/webhooks/{id}": {"delete": {"summary": "Delete a subscription and its queued deliveries", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"204": {"description": "deleted"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/webhooks/{id}/redeliver": {"post": {"summary": "Queue the subscription's failed deliveries again (attempts reset; same event ids)", "security": [{"dispatcher": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "{requeued}"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/admin/completions/stream": {"get": {"summary": "Server-sent events: one work_order.completed event per completion as it is committed (data: ids, times, outcome, flags; no customer data); id: is a cursor, send it back as Last-Event-ID (or ?after=) to get what was missed; without one the stream starts at the current end; keep-alive comments every 15 s", "security": [{"dispatcher": []}],
      "parameters": [{"name": "Last-Event-ID", "in": "header", "required": false, "schema": {"type": "integer", "minimum": 0}}, {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}}],
      "responses": {"200": {"description": "text/event-stream"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}}
  }
}"##;
