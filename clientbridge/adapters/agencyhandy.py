"""AgencyHandy: bulk client creation, and leads through a company role look-up."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence

import attrs

from clientbridge.adapters.base import (
    Adapter,
    Capabilities,
    FieldProblem,
    FieldRule,
    Lookup,
    Outcome,
    Picked,
    Prepared,
    Setting,
    first_name_or_split,
    last_name_or_split,
    split_name,
    take,
    text_or_none,
)
from clientbridge.adapters.bulk import match_created
from clientbridge.adapters.checks import DEFAULT_PHONE_REGION, client_e164, valid_email
from clientbridge.errors import (
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    FieldError,
    ProviderError,
    ProviderValidationError,
    UnexpectedResponseError,
)
from clientbridge.model import Client, ContactKind, ContactMethod
from clientbridge.result import ClientStatus
from clientbridge.secrets import redact_text
from clientbridge.wire import HeaderValue, HttpRequest, HttpResponse, JSONValue

__all__ = ["AgencyHandyAdapter"]

# AgencyHandy has no region setting: a number without its country code is read in the
# address's country (the address itself is not sent), else as a UK number.
_PHONE_KINDS = (ContactKind.PHONE, ContactKind.WHATSAPP)
_NAME_SPLIT_WARNING = (
    "name was split at its last space into first_name and last_name because AgencyHandy "
    "needs both; give first_name and last_name to choose the split"
)


def _first_phone_method(client: Client) -> tuple[int, ContactMethod] | None:
    return next(
        ((i, m) for i, m in enumerate(client.contact_methods) if m.kind in _PHONE_KINDS), None
    )


def _contact_number(client: Client) -> Picked | None:
    """``phone``, else the first PHONE or WHATSAPP contact method, in E.164."""
    if client.phone is not None:
        return Picked(client_e164(client, client.phone, DEFAULT_PHONE_REGION), ("phone",))
    found = _first_phone_method(client)
    if found is None:
        return None
    try:
        # contact_methods counts as sent only if every entry arrived (see dropped_fields).
        return Picked(client_e164(client, found[1].value, DEFAULT_PHONE_REGION), ())
    except FieldProblem:
        return None  # validate_client reports it against contact_methods[i]


def _says_duplicate(text: str | None) -> bool:
    return text is not None and any(w in text.casefold() for w in ("already exists", "duplicate"))


class AgencyHandyAdapter(Adapter):
    name = "agencyhandy"
    display_name = "AgencyHandy"
    settings_spec = (
        Setting(
            name="api_key",
            description="API key from Workspace Config → API Key (sent as x-api-key)",
            required=True,
            secret=True,
            sandbox_default="sandbox-agencyhandy-key",
        ),
        Setting(
            name="company_id",
            description="the company that receives the clients (looked up when absent)",
            path_segment=True,
            header=True,
            account_specific=True,
        ),
        Setting(
            name="base_url",
            description="API root",
            default="https://api.agencyhandy.com",
            sandbox_default="https://agencyhandy.sandbox.invalid",
            url=True,
        ),
        Setting(
            name="send_invitation_email",
            description="email the new client a portal invitation",
            kind=bool,
            default=False,
        ),
        Setting(
            name="client_status",
            description="the status new clients get",
            default="New",
            choices=("New", "Active"),
        ),
    )
    fields = (
        FieldRule(
            wire="firstName",
            neutral=("first_name", "name"),
            pick=first_name_or_split(_NAME_SPLIT_WARNING),
            required=True,
            label="first_name",
            note="first_name, else name up to its last space",
        ),
        FieldRule(
            wire="lastName",
            neutral=("last_name", "name"),
            pick=last_name_or_split(_NAME_SPLIT_WARNING),
            required=True,
            label="last_name",
            required_message="is required by AgencyHandy: give last_name, or a name of two "
            "or more words",
            note="last_name, else the last word of name",
        ),
        FieldRule(
            wire="email", neutral=("email",), pick=take("email"), required=True, check=valid_email
        ),
        FieldRule(
            wire="contactNo",
            neutral=("phone", "contact_methods"),
            pick=_contact_number,
            label="phone",
            note="phone, else the first PHONE or WHATSAPP contact method; E.164",
        ),
        FieldRule(wire="source", neutral=("source",), pick=take("source")),
    )
    capabilities = Capabilities(
        leads=True,
        bulk_size=200,
        lookups=("company_id", "client_role_id"),
        invite_status=False,
        unique_email=True,  # "email: required; unique in the workspace"
    )
    status_key = "status"
    status_table = {
        "New": ClientStatus.NEW,
        "Active": ClientStatus.ACTIVE,
        "Client": ClientStatus.ACTIVE,
    }
    sensitive_keys = frozenset({"email", "firstName", "lastName", "contactNo"})

    # ----------------------------------------------------------------- validation

    def validate_client(self, client: Client) -> list[FieldError]:
        found = None if client.phone is not None else _first_phone_method(client)
        if found is not None:
            try:
                client_e164(client, found[1].value, DEFAULT_PHONE_REGION)
            except FieldProblem as problem:
                return [FieldError(problem.field or f"contact_methods[{found[0]}]", str(problem))]
        return []

    def dropped_fields(self, client: Client, sent: set[str]) -> tuple[str, ...]:
        if not client.contact_methods:
            return super().dropped_fields(client, sent)
        number = _contact_number(client)

        def arrived(method: ContactMethod) -> bool:
            if method.kind is ContactKind.EMAIL:
                return (
                    client.email is not None and method.value.casefold() == client.email.casefold()
                )
            if method.kind in _PHONE_KINDS and number is not None:
                try:
                    phone = client_e164(client, method.value, DEFAULT_PHONE_REGION)
                    return bool(phone == number.value)
                except FieldProblem:
                    return False
            return False

        if all(arrived(m) for m in client.contact_methods):
            sent = {*sent, "contact_methods"}
        return super().dropped_fields(client, sent)

    # ----------------------------------------------------------------- requests

    def batch_key(self, client: Client) -> Hashable:
        return client.lead  # leads and clients go to different endpoints

    def lookups(self, batch: Sequence[Prepared]) -> list[Lookup]:
        found: list[Lookup] = []
        if self.setting("company_id") is None:
            found.append(self._company_lookup)
        if batch and batch[0].client.lead:
            found.append(self._role_lookup)
        return found

    # Settings never change: each look-up is built once (lookups runs for every batch).

    @functools.cached_property
    def _company_lookup(self) -> Lookup:
        return self._lookup("company_id", self.url("accounts", "companies"), self.parse_company_id)

    @functools.cached_property
    def _role_lookup(self) -> Lookup:
        return self._lookup(
            "client_role_id", self.url("roles") + "?type=company", self.parse_role_id
        )

    def credential_check(self) -> HttpRequest:
        # The company list is a documented, harmless read that needs the key.
        return self._company_lookup.request

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        return {"x-api-key": self.secret("api_key")}

    def _lookup(self, key: str, url: str, parse: Callable[[HttpResponse], str]) -> Lookup:
        request = HttpRequest(method="GET", url=url, headers=self.auth_headers())
        return Lookup(key=key, request=request, parse=parse)

    def member(self, prepared: Prepared) -> dict[str, JSONValue]:
        """One member object as sent (``extras`` may override the settings' values)."""
        member = dict(prepared.payload)
        member.setdefault("isConvertedClient", False)
        member.setdefault("status", self.setting("client_status"))
        # Their default is true: always send it, from the setting.
        member.setdefault("sendInvitationEmail", bool(self.setting("send_invitation_email")))
        return member

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        company_id = str(self.setting("company_id") or resolved["company_id"])
        headers: dict[str, HeaderValue] = dict(self.json_headers)
        members = [self.member(prepared) for prepared in batch]
        if not batch[0].client.lead:
            # The docs insist on `companyId` (capital I) here but `companyid` on the lead endpoint.
            headers["companyId"] = company_id
            return HttpRequest(
                method="POST", url=self.url("members", "bulk-client"), headers=headers, json=members
            )
        for member in members:
            member.setdefault("role", resolved["client_role_id"])
        return HttpRequest(
            method="POST",
            url=self.url("company", company_id, "members", "bulk-client"),
            headers={**headers, "companyid": company_id},
            json={"members": members},
        )

    # ----------------------------------------------------------------- look-ups

    def lookup_error(self, what: str, response: HttpResponse) -> UnexpectedResponseError:
        return self.unexpected(
            f"the look-up answer cannot be used: {what}", response, maybe_created=False
        )

    def parse_company_id(self, response: HttpResponse) -> str:
        body = self.json_body(response)
        companies = body.get("companies") if isinstance(body, dict) else None
        if not isinstance(companies, list) or not all(isinstance(c, dict) for c in companies):
            raise self.lookup_error('GET /accounts/companies has no "companies" list', response)
        if not companies:
            raise ConfigurationError(
                "the AgencyHandy API key gives access to no company; check the key or set "
                "company_id"
            )
        if len(companies) > 1:
            listed = ", ".join(f"{c.get('_id')} ({c.get('name')})" for c in companies)
            raise ConfigurationError(
                f"the AgencyHandy API key gives access to {len(companies)} companies: {listed}; "
                "set company_id to the one that should receive the clients"
            )
        company_id = text_or_none(companies[0].get("_id"))
        if not company_id:
            raise self.lookup_error('the company has no "_id"', response)
        return company_id

    def parse_role_id(self, response: HttpResponse) -> str:
        body = self.json_body(response)
        roles = body.get("roles") if isinstance(body, dict) else None
        for entry in roles if isinstance(roles, list) else ():
            role = entry.get("role") if isinstance(entry, dict) else None
            if isinstance(role, dict) and role.get("name") == "client":
                # The outer _id is the company's client role; role._id is the template the docs
                # warn against copying.
                role_id = text_or_none(entry.get("_id"))
                if role_id:
                    return role_id
        raise self.lookup_error(
            'GET /roles?type=company lists no entry whose role.name is "client" (the client '
            "role id a lead needs)",
            response,
        )

    # ----------------------------------------------------------------- responses

    def parse_create_response(
        self, response: HttpResponse, batch: Sequence[Prepared]
    ) -> list[Outcome]:
        body = self.json_body(response)
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):  # the 2026 shape
            created, skipped = data.get("addedClients") or [], data.get("notAddedClients") or []
        elif isinstance(body, dict) and "createdMembers" in body:  # the seed shape
            created, skipped = body["createdMembers"], []
        else:
            raise self.unexpected('the answer has neither "createdMembers" nor "data"', response)
        if not isinstance(created, list) or not all(isinstance(r, dict) for r in created):
            raise self.unexpected("the created members are not a list of objects", response)
        members = [self.member(prepared) for prepared in batch]
        if len(batch) == len(created) == 1 and not skipped:
            # One sent, one created: whatever the keys say, position matching would pair
            # them (the common single create, so it skips the key matching).
            return [self.created_result(created[0], batch[0], members[0])]
        matching = match_created(members, created, skipped, name_parts=("firstName", "lastName"))
        matched, refused, spare = matching.matched, matching.refused, matching.spare
        outcomes: list[Outcome] = []
        for i, prepared in enumerate(batch):
            if i in matched:
                outcomes.append(self.created_result(created[matched[i]], prepared, members[i]))
            elif i in refused or not spare:
                outcomes.append(self.not_created(refused.get(i), response))
            else:
                outcomes.append(
                    self.unexpected(
                        f"{len(created)} members were created for {len(batch)} clients and this "
                        "one cannot be told apart by email or name",
                        response,
                    )
                )
        return outcomes

    def created_result(
        self, record: Mapping[str, JSONValue], prepared: Prepared, member: Mapping[str, JSONValue]
    ) -> Outcome:
        # The provider stored what was sent, as amended by what it answered.
        try:
            result = self.result_from_record(
                {**member, **record}, prepared, id_key="_id", raw=record
            )
        except ClientBridgeError as error:
            return error
        if prepared.client.lead:
            client = attrs.evolve(result.client, lead=True)
            result = attrs.evolve(result, status=ClientStatus.LEAD, client=client)
        return result

    def not_created(self, reason: str | None, response: HttpResponse) -> ProviderError:
        # The seed shape leaves a refused client out without a reason; the docs' only cause
        # for that is an email already in the workspace, so it counts as a duplicate.
        duplicate = reason is None or _says_duplicate(reason)
        said = (
            redact_text(reason, self.secrets())
            if reason
            else "it did not say why (the documented cause is an email already in use)"
        )
        advice = "look the client up instead of creating it" if duplicate else "fix it and retry"
        cls = DuplicateClientError if duplicate else ProviderValidationError
        message = f"AgencyHandy did not create this client: {said}; {advice}."
        return cls(
            message,
            provider=self.name,
            status_code=response.status_code,
        )

    def dropped_warning(self, field: str) -> str:
        if field == "name":
            return (
                f"name was not sent: {self.name} stores first_name and last_name, which were given"
            )
        return super().dropped_warning(field)

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        first, last = text_or_none(record.get("firstName")), text_or_none(record.get("lastName"))
        name = text_or_none(record.get("name"))
        if name and name.split() != f"{first or ''} {last or ''}".split():
            first, last = split_name(name)  # the provider's "first last" differs from what was sent
        return Client(
            first_name=first,
            last_name=last,
            name=name,
            email=text_or_none(record.get("email")),
            phone=text_or_none(record.get("contactNo")),
            source=text_or_none(record.get("source")),
        )

    def error_class(self, response: HttpResponse, body: JSONValue) -> type[ProviderError]:
        cls = super().error_class(response, body)
        if cls in (ProviderValidationError, ProviderError) and _says_duplicate(
            self.error_details(body)[0]
        ):
            return DuplicateClientError
        return cls
