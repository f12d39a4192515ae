"""AgencyHandy: the company and role look-ups, bulk clients and bulk leads.

Two answer shapes exist for ``POST /members/bulk-client``: the captured documentation's
``createdMembers`` (the default) and the 2026 documentation's
``data.addedClients/notAddedClients`` (``response="added_clients"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from clientbridge.sandbox.emulators.base import (
    EMAIL_SHAPE,
    Emulator,
    Ids,
    Outcome,
    Rejected,
    Reply,
    Route,
    SandboxRequest,
)

__all__ = [
    "API_KEY",
    "BASE_URL",
    "CLIENT_ROLE_ID",
    "COMPANY_ID",
    "INNER_CLIENT_ROLE_ID",
    "AgencyHandyEmulator",
    "AgencyHandyOptions",
    "AgencyHandyResponse",
]

API_KEY = "sandbox-agencyhandy-key"
BASE_URL = "https://api.agencyhandy.com"
#: The ids of the provider's own example, for the first company.
COMPANY_ID = "6525994184e9ddd79853450e"
#: The id to send as a lead's ``role``: the outer ``roles[i]._id``.
CLIENT_ROLE_ID = "6525994184e9ddd798534535"
#: ``roles[i].role._id``: the id the documentation warns not to send.
INNER_CLIENT_ROLE_ID = "6525994184e9ddd79853451e"

AgencyHandyResponse = Literal["created_members", "added_clients"]
RESPONSE_SHAPES: tuple[AgencyHandyResponse, ...] = ("created_members", "added_clients")
MAX_ITEMS = 200
REQUIRED_TEXT = ("firstName", "lastName", "email")
OPTIONAL_TYPES: Mapping[str, tuple[type, ...]] = {
    "status": (str,),
    "contactNo": (str,),
    "source": (str,),
    "positionInBoard": (int, float),
    "sendInvitationEmail": (bool,),
}
ALREADY_EXISTS = "Client already exists"


@attrs.frozen(kw_only=True)
class AgencyHandyOptions:
    """The AgencyHandy emulator's options: ``Sandbox(options={"agencyhandy": ...})``.

    ``response`` picks the bulk-create answer shape; ``companies`` how many companies
    share the API key (more than one makes the adapter's company look-up refuse).
    """

    response: AgencyHandyResponse = "created_members"
    companies: int = 1

    def __attrs_post_init__(self) -> None:
        if self.response not in RESPONSE_SHAPES:
            raise ValueError(
                f"the AgencyHandy response shape must be one of {', '.join(RESPONSE_SHAPES)}, "
                f"not {self.response!r}"
            )
        if self.companies < 1:
            raise ValueError(f"AgencyHandy needs at least 1 company, not {self.companies!r}")


_ERROR_TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
}


def _shifted(object_id: str, offset: int) -> str:
    return f"{(int(object_id, 16) + offset) % (1 << 96):024x}"


@attrs.frozen
class Company:
    """A company the API key reaches, with its roles."""

    id: str
    name: str
    roles: tuple[tuple[str, str, str], ...]  # (outer _id, role._id, role.name)

    @property
    def client_role_id(self) -> str:
        return next(outer for outer, _, name in self.roles if name == "client")

    @classmethod
    def numbered(cls, number: int) -> Company:
        """Company ``number``; the first has the documented example's ids."""
        offset = number << 32
        return cls(
            id=_shifted(COMPANY_ID, offset),
            name="Sandbox Agency" if number == 0 else f"Sandbox Agency {number + 1}",
            roles=(
                (
                    _shifted(CLIENT_ROLE_ID, offset - 1),
                    _shifted(INNER_CLIENT_ROLE_ID, offset - 1),
                    "team member",
                ),
                (
                    _shifted(CLIENT_ROLE_ID, offset),
                    _shifted(INNER_CLIENT_ROLE_ID, offset),
                    "client",
                ),
            ),
        )


def _bad(status: int, message: str, field: str) -> Rejected:
    return Rejected(status, message, [(field, message)])


class AgencyHandyEmulator(Emulator):
    """``companies`` companies share the API key (the first has the documented ids)."""

    provider = "agencyhandy"
    display_name = "AgencyHandy"
    default_credential = API_KEY
    routes = (
        Route("GET", "/accounts/companies", "list_companies"),
        Route("GET", "/roles", "list_roles"),
        Route("POST", "/members/bulk-client", "create_clients", creates=True),
        Route("POST", "/company/{company_id}/members/bulk-client", "create_leads", creates=True),
    )
    unauthorized_message = "Invalid or missing x-api-key."
    credential_headers = ("x-api-key",)

    options_type = AgencyHandyOptions

    def __init__(
        self,
        *,
        options: object | None = None,
        credential: str | None = None,
        ids: Ids | None = None,
        retain_records: bool = True,
    ) -> None:
        super().__init__(
            options=options, credential=credential, ids=ids, retain_records=retain_records
        )
        chosen = options if isinstance(options, AgencyHandyOptions) else AgencyHandyOptions()
        self.response = chosen.response
        self.companies = {
            company.id: company for company in map(Company.numbered, range(chosen.companies))
        }

    def authenticated(self, request: SandboxRequest) -> bool:
        return request.headers.get("x-api-key") == self.credential

    def error_body(self, status: int, message: str, fields: Sequence[tuple[str, str]]) -> Any:
        body: dict[str, Any] = {
            "type": _ERROR_TYPES.get(status, self.reason(status).replace(" ", "")),
            "status": status,
            "message": message,
        }
        if fields:
            body["fieldName"] = fields[0][0]
        return body

    # ----------------------------------------------------------------- look-ups

    def list_companies(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        companies = [
            {
                "_id": company.id,
                "name": company.name,
                "logo": "",
                "extraSmallLogo": "",
                "largeLogo": "",
            }
            for company in self.companies.values()
        ]
        return Reply.json(
            200, {"message": "Companies accosiated with API token.", "companies": companies}
        )

    def list_roles(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        kind = request.query_params().get("type")
        if kind != "company":
            raise _bad(400, 'Query parameter "type" must be "company".', "type")
        roles = [
            {
                "_id": outer_id,
                "role": {"_id": inner_id, "responsibility": "", "name": name},
                "company": company.id,
                "createdAt": "2023-10-10T18:34:41.567Z",
                "updatedAt": "2024-10-01T07:28:48.340Z",
                "__v": 0,
                "type": "company",
            }
            for company in self.companies.values()
            for outer_id, inner_id, name in company.roles
        ]
        return Reply.json(200, {"roles": roles})

    # ----------------------------------------------------------------- creates

    def create_clients(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        # Header is `companyId` here but `companyid` on the lead endpoint; the docs say
        # the wrong casing fails authentication.
        company = self._company_from_header(request, "companyId")
        entries = request.json()
        self._check_entries(entries, role=None)
        added, skipped = self._create(entries, company, lead=False)
        outcome = _outcome(added, skipped, "client")
        if self.response == "added_clients":
            return Reply.json(
                201 if added else 200,
                {
                    "success": True,
                    "data": {
                        "addedClients": [_added_client(record) for record in added],
                        "notAddedClients": skipped,
                    },
                },
                outcome=outcome,
            )
        return Reply.json(
            200,
            {
                "message": "Client created successfully" if added else "No client was created",
                "createdMembers": [_member(record) for record in added],
            },
            outcome=outcome,
        )

    def create_leads(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        company = self.companies.get(params["company_id"])
        if company is None:
            raise _bad(404, f"Company {params['company_id']!r} not found.", "companyId")
        if self._company_from_header(request, "companyid") is not company:
            raise _bad(400, "The companyid header does not match the path's company.", "companyid")
        body = request.json()
        if not isinstance(body, dict) or "members" not in body:
            raise _bad(400, 'The body must be an object {"members": [...]}.', "members")
        entries = body["members"]
        self._check_entries(entries, role=company.client_role_id)
        added, skipped = self._create(entries, company, lead=True)
        return Reply.json(
            200,
            {
                "message": "Lead created successfully" if added else "No lead was created",
                "createdMembers": [_member(record) for record in added],
            },
            outcome=_outcome(added, skipped, "lead"),
        )

    # ----------------------------------------------------------------- helpers

    def _company_from_header(self, request: SandboxRequest, header: str) -> Company:
        value = request.header(header)
        if value is None or header not in request.header_names:
            raise _bad(
                401,
                f"The {header} header is required on this endpoint, spelled exactly {header!r}.",
                header,
            )
        company = self.companies.get(value)
        if company is None:
            raise _bad(404, f"Company {value!r} not found for this API key.", header)
        return company

    def _check_entries(self, entries: Any, *, role: str | None) -> None:
        """Schema problems reject the whole request (400); duplicates only their entry."""
        if not isinstance(entries, list) or not entries:
            raise _bad(400, "Send a non-empty JSON array of clients.", "body")
        if len(entries) > MAX_ITEMS:
            raise _bad(400, f"At most {MAX_ITEMS} clients per request; got {len(entries)}.", "body")
        for position, entry in enumerate(entries):
            _check_entry(position, entry, role)

    def _create(
        self, entries: list[dict[str, Any]], company: Company, *, lead: bool
    ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        added: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        in_this_request: set[str] = set()
        for entry in entries:
            key = entry["email"].strip().lower()
            if self.exists(key) or key in in_this_request:
                skipped.append({"email": entry["email"], "reason": ALREADY_EXISTS})
                continue
            in_this_request.add(key)
            record = {
                "_id": self.ids.object_id(),
                "name": f"{entry['firstName']} {entry['lastName']}",
                **entry,
                "status": entry.get("status") or "New",
                "role": "client",
                "positionInBoard": entry.get("positionInBoard", 1),
                "sendInvitationEmail": entry.get("sendInvitationEmail", True),
                "company": company.id,
                "kind": "lead" if lead else "client",
            }
            self.keep(record, key)
            added.append(record)
        return added, skipped


def _check_entry(position: int, entry: Any, role: str | None) -> None:
    where = f"entry {position}"
    if not isinstance(entry, dict):
        raise _bad(400, f"{where} must be an object.", "body")
    for field in REQUIRED_TEXT:
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise _bad(400, f"{field} is required ({where}).", field)
    if not EMAIL_SHAPE.fullmatch(entry["email"].strip()):
        raise _bad(400, f"email must be a valid email address ({where}).", "email")
    converted = entry.get("isConvertedClient")
    if not isinstance(converted, bool):
        raise _bad(
            400,
            f"isConvertedClient is required and must be a boolean ({where}).",
            "isConvertedClient",
        )
    for field, types in OPTIONAL_TYPES.items():
        value = entry.get(field)
        wrong_bool = isinstance(value, bool) and bool not in types
        if value is not None and (wrong_bool or not isinstance(value, types)):
            raise _bad(400, f"{field} has the wrong type ({where}).", field)
    if role is None:
        return
    if converted:
        raise _bad(
            400, f"isConvertedClient must be false for a new lead ({where}).", "isConvertedClient"
        )
    if entry.get("role") != role:
        raise _bad(
            400,
            f"Invalid role {entry.get('role')!r} ({where}): send the client role's outer "
            '"_id" from GET /roles?type=company, not role._id.',
            "role",
        )


def _outcome(added: Sequence[object], skipped: Sequence[Mapping[str, str]], noun: str) -> Outcome:
    """What a bulk create did: all created, some (the skipped ones refused), or none."""
    refused = {entry["email"].strip().lower(): entry["reason"] for entry in skipped}
    if not skipped:
        return Outcome("created")
    reasons = sorted(set(refused.values()))
    if not added:
        return Outcome("refused", f"No {noun} was created: {'; '.join(reasons)}", refused)
    return Outcome("partial", f"{len(skipped)} not created: {'; '.join(reasons)}", refused)


def _member(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "_id": record["_id"],
        "name": record["name"],
        "status": record["status"],
        "role": "client",
    }


def _added_client(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_member(record),
        "firstName": record["firstName"],
        "lastName": record["lastName"],
        "email": record["email"],
    }
