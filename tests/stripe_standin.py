"""A local Stripe API for write-back tests, as strict as Stripe where Savedesk relies on it:
a Bearer secret key, form-encoded bodies with no unknown parameter, an `Idempotency-Key` on
every POST (for a day Stripe replays the first answer for the same key and parameters, a 500
too, and refuses the same key with other parameters), object states (a canceled
subscription, a missing customer or coupon, a trial end in the past) answered with Stripe's
error shape. The real
`stripe` library talks to it over HTTP (`STRIPE_API_BASE`)."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_savedesk"
_ids = itertools.count(1)


class StripeFailure(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) as nested dicts; lists are dicts keyed "0"."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(out)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _allow(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise StripeFailure(400, f"Received unknown parameter: {key}", "parameter_unknown")


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    replayed: bool = False


@dataclass
class StripeStandin:
    """Serves on a free port; `customers`, `subscriptions`, `coupons` hold the objects."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    drop_next_answer: int = 0
    """Apply the next POSTs' effect, then close the connection without answering."""
    refuse: str | None = None
    """A permissions message every request is refused with (403), as a restricted key."""
    fail_next: int = 0
    """Answer the next new keyed POSTs with Stripe's 500 (`api_error`), changing nothing; the
    answer is saved under the key like any result, so a retry with that key gets it again."""
    fail_path: str = "/v1/"
    """Only POSTs to paths starting with this fail (`fail_next`)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, dict[str, Any], int, dict[str, Any]]] = {}
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                standin._serve(self, "GET")

            def do_POST(self) -> None:
                standin._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- fixtures ------------------------------------------------------------------------

    def add_subscription(self, customer: str, status: str = "active", **extra: Any) -> str:
        self.customers.setdefault(customer, {"id": customer, "balance": 0, "transactions": []})
        sub_id = f"sub_{next(_ids):04d}"
        end = int(time.time()) + 30 * 86400
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "pause_collection": None,
            "discounts": [],
            "metadata": {},
            "trial_end": None,
            "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": end}]},
            **extra,
        }
        return sub_id

    def bill(self, sub_id: str) -> dict[str, Any]:
        """Stripe's billing cycle makes the subscription's renewal invoice: while collection is
        paused with `keep_as_draft` it stays a draft with `auto_advance` false (neither sent
        nor charged); otherwise it goes out (finalized: open). Stripe docs, "Pause payment
        collection"."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            held = (sub["pause_collection"] or {}).get("behavior") == "keep_as_draft"
            invoice = {
                "id": f"in_{next(_ids):04d}", "object": "invoice", "customer": sub["customer"],
                "subscription": sub_id, "billing_reason": "subscription_cycle",
                "status": "draft" if held else "open", "auto_advance": not held,
                "created": int(time.time()),
            }  # fmt: skip
            self.invoices[invoice["id"]] = invoice
            return invoice

    def expire_keys(self) -> None:
        """A day passes: Stripe prunes idempotency keys at least 24 h old, and a key used again
        after that makes a new request (Stripe docs, "Idempotent requests")."""
        with self._lock:
            self._keys.clear()

    def posts(self, path_prefix: str = "/v1/") -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def effects(self, path_prefix: str = "/v1/") -> list[Request]:
        """POSTs that changed something (not replays)."""
        return [r for r in self.posts(path_prefix) if not r.replayed]

    # -- HTTP ----------------------------------------------------------------------------

    def _serve(self, http: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("content-length") or 0)
        raw = http.rfile.read(length).decode() if length else ""
        params = _nested(
            parse_qsl(raw if method == "POST" else parts.query, keep_blank_values=True)
        )
        key = http.headers.get("idempotency-key")
        drop = False
        with self._lock:
            request = Request(method, parts.path, params, key)
            self.requests.append(request)
            try:
                status, body = self._answer(http, method, parts.path, params, key, request)
            except StripeFailure as failure:
                error = {"type": "invalid_request_error", "message": str(failure)}
                if failure.code:
                    error["code"] = failure.code
                status, body = failure.status, {"error": {**error, **failure.extra}}
            if method == "POST" and self.drop_next_answer and status == 200:
                self.drop_next_answer -= 1
                drop = True
        if drop:
            http.close_connection = True
            http.connection.shutdown(2)
            return
        data = json.dumps(body).encode()
        http.send_response(status)
        http.send_header("content-type", "application/json")
        http.send_header("content-length", str(len(data)))
        if request.replayed:
            http.send_header("idempotent-replayed", "true")
        http.end_headers()
        http.wfile.write(data)

    def _answer(
        self,
        http: BaseHTTPRequestHandler,
        method: str,
        path: str,
        params: dict[str, Any],
        key: str | None,
        request: Request,
    ) -> tuple[int, dict[str, Any]]:
        if http.headers.get("authorization") != f"Bearer {API_KEY}":
            raise StripeFailure(401, "Invalid API Key provided.")
        if self.refuse:
            raise StripeFailure(403, self.refuse)
        if method == "GET":
            return 200, self._get(path, params)
        if not key:
            raise StripeFailure(400, "Savedesk sends an Idempotency-Key on every write.")
        if key in self._keys:
            first_path, first_params, status, body = self._keys[key]
            if (first_path, first_params) != (path, params):
                raise StripeFailure(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    type="idempotency_error",
                )
            request.replayed = True
            return status, body
        if self.fail_next and path.startswith(self.fail_path):
            self.fail_next -= 1
            error = {"type": "api_error", "message": "An unknown error occurred (req_standin)."}
            self._keys[key] = (path, params, 500, {"error": error})
            return 500, {"error": error}
        body = self._post(path, params)
        self._keys[key] = (path, params, 200, body)
        return 200, body

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if path == "/v1/subscriptions":
            _allow(params, {"customer", "status", "limit"})
            found = [
                s for s in self.subscriptions.values()
                if s["customer"] == params.get("customer")
                and (params.get("status") == "all" or s["status"] != "canceled")
            ]  # fmt: skip
            return {"object": "list", "data": found[::-1], "has_more": False, "url": path}
        if match := re.fullmatch(r"/v1/subscriptions/([^/]+)", path):
            return self._subscription(match.group(1))
        if match := re.fullmatch(r"/v1/customers/([^/]+)/balance_transactions", path):
            _allow(params, {"limit", "starting_after", "ending_before"})
            customer = self.customers.get(match.group(1))
            if customer is None:
                raise StripeFailure(
                    404, f"No such customer: '{match.group(1)}'", "resource_missing"
                )
            found = customer["transactions"][::-1][: int(params.get("limit", 10))]
            return {"object": "list", "data": found, "has_more": False, "url": path}
        if path == "/v1/invoices":
            _allow(params, {"subscription", "status", "limit"})
            found = [
                i for i in self.invoices.values()
                if all(i[k] == params[k] for k in ("subscription", "status") if k in params)
            ]  # fmt: skip
            return {"object": "list", "data": found[::-1], "has_more": False, "url": path}
        raise StripeFailure(404, f"Unrecognized request URL (GET: {path}).")

    def _subscription(self, sub_id: str) -> dict[str, Any]:
        if sub_id not in self.subscriptions:
            raise StripeFailure(404, f"No such subscription: '{sub_id}'", "resource_missing")
        return self.subscriptions[sub_id]

    def _post(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if match := re.fullmatch(r"/v1/subscriptions/([^/]+)", path):
            return self._update_subscription(self._subscription(match.group(1)), params)
        if path == "/v1/coupons":
            return self._coupon(params)
        if match := re.fullmatch(r"/v1/invoices/([^/]+)/finalize", path):
            return self._finalize(match.group(1), params)
        if match := re.fullmatch(r"/v1/customers/([^/]+)/balance_transactions", path):
            return self._balance(match.group(1), params)
        raise StripeFailure(404, f"Unrecognized request URL (POST: {path}).")

    def _update_subscription(self, sub: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        _allow(params, {"pause_collection", "discounts", "trial_end", "proration_behavior",
                        "metadata"})  # fmt: skip
        if sub["status"] == "canceled" and set(params) - {"metadata"}:
            raise StripeFailure(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        changed = dict(sub)
        if "pause_collection" in params:
            pause = params["pause_collection"]
            if pause == "":
                changed["pause_collection"] = None
            elif not isinstance(pause, dict) or pause.get("behavior") not in (
                "keep_as_draft", "mark_uncollectible", "void"
            ):  # fmt: skip
                raise StripeFailure(400, "Invalid pause_collection[behavior]")
            else:
                changed["pause_collection"] = {"behavior": pause["behavior"], "resumes_at": None}
        if "discounts" in params:
            changed["discounts"] = [self._discount(sub, d) for d in params["discounts"]]
        if "trial_end" in params:
            end = int(params["trial_end"])
            if end <= time.time():
                raise StripeFailure(400, "Invalid timestamp: must be an integer Unix timestamp in "
                                    "the future.", param="trial_end")  # fmt: skip
            if params.get("proration_behavior") not in ("none", "create_prorations"):
                raise StripeFailure(400, "proration_behavior is required with trial_end here.")
            changed["trial_end"], changed["status"] = end, "trialing"
        if "metadata" in params:
            changed["metadata"] = {**sub["metadata"], **params["metadata"]}
        sub.update(changed)
        return sub

    def _discount(self, sub: dict[str, Any], entry: dict[str, Any]) -> str:
        if "discount" in entry:
            if entry["discount"] not in sub["discounts"]:
                raise StripeFailure(400, f"No such discount: '{entry['discount']}'")
            return str(entry["discount"])
        coupon = entry.get("coupon")
        if coupon not in self.coupons:
            raise StripeFailure(400, f"No such coupon: '{coupon}'", "resource_missing")
        discount_id = f"di_{next(_ids):04d}"
        self.coupons[coupon]["discounts"].append((sub["id"], discount_id))
        return discount_id

    def _coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        _allow(params, {"id", "percent_off", "amount_off", "currency", "duration",
                        "duration_in_months", "name", "metadata"})  # fmt: skip
        if params.get("duration") not in ("once", "repeating", "forever"):
            raise StripeFailure(400, "Missing required param: duration.", param="duration")
        if params["duration"] == "repeating" and "duration_in_months" not in params:
            raise StripeFailure(400, "duration_in_months is required when duration is repeating")
        if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", str(params.get("percent_off", ""))):
            raise StripeFailure(400, "Invalid decimal: percent_off", param="percent_off")
        pct = float(params["percent_off"])
        if not 0 < pct <= 100:
            raise StripeFailure(400, "Invalid percent_off: must be between 0 and 100.")
        coupon_id = params.get("id") or f"co_{next(_ids):04d}"
        if coupon_id in self.coupons:
            raise StripeFailure(400, "Coupon already exists.", "resource_already_exists")
        self.coupons[coupon_id] = {"id": coupon_id, "object": "coupon", "discounts": [], **params}
        return {k: v for k, v in self.coupons[coupon_id].items() if k != "discounts"}

    def _balance(self, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _allow(params, {"amount", "currency", "description", "metadata"})
        customer = self.customers.get(customer_id)
        if customer is None:
            raise StripeFailure(404, f"No such customer: '{customer_id}'", "resource_missing")
        if "amount" not in params or "currency" not in params:
            raise StripeFailure(400, "Missing required param: amount and currency.")
        txn = {"id": f"cbtxn_{next(_ids):04d}", "object": "customer_balance_transaction",
               "customer": customer_id, **params, "amount": int(params["amount"])}  # fmt: skip
        customer["balance"] += txn["amount"]
        customer["transactions"].append(txn)
        return txn

    def _finalize(self, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _allow(params, {"auto_advance"})
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise StripeFailure(404, f"No such invoice: '{invoice_id}'", "resource_missing")
        if invoice.get("finalize_refusal"):  # a state Stripe will not finalize from
            raise StripeFailure(400, invoice["finalize_refusal"], "invoice_not_editable")
        if invoice["status"] != "draft":
            raise StripeFailure(
                400,
                "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                "invoice_not_editable",
            )
        if params.get("auto_advance", "true") not in ("true", "false"):
            raise StripeFailure(400, "Invalid boolean: auto_advance", param="auto_advance")
        invoice["status"], invoice["auto_advance"] = "open", params.get("auto_advance") != "false"
        return invoice
