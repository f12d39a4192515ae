"""RoostedHR: flat ``client_*`` fields; a client is usually an organisation with a contact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clientbridge.adapters.base import (
    Adapter,
    Capabilities,
    FieldRule,
    FindPlan,
    Picked,
    Prepared,
    Setting,
    address_part,
    first_of,
    person_name,
    take,
    text_or_none,
)
from clientbridge.adapters.checks import valid_email
from clientbridge.errors import UnexpectedResponseError
from clientbridge.model import Address, Client
from clientbridge.result import ClientStatus, CreateResult, InviteStatus
from clientbridge.wire import HeaderValue, HttpRequest, HttpResponse, JSONValue

__all__ = ["RoostedHRAdapter"]

#: Clients per page when walking the client list (it has no search by email).
LIST_PAGE_SIZE = 100
#: A list that has not ended after this many pages is not walked further.
MAX_LIST_PAGES = 2000
#: The fields that identify a client in the list: what a create sent, as stored.
_IDENTITY_FIELDS = ("client_name", "client_contact_name", "client_contact_email")


def _contact_name(client: Client) -> Picked | None:
    # The person is the contact only when the organisation took client_name.
    if client.company_name is None:
        return None
    return person_name(client)


def _identity(record: Mapping[str, JSONValue]) -> tuple[str | None, ...]:
    """Name, contact and email, compared without regard to case and spacing."""
    values = (text_or_none(record.get(field)) for field in _IDENTITY_FIELDS)
    return tuple(" ".join(value.split()).casefold() if value else None for value in values)


def _street(client: Client) -> Picked | None:
    if client.address is None or not client.address.lines:
        return None
    address = client.address
    parts = tuple(
        f"address.{part}" for part in ("line1", "line2", "line3") if getattr(address, part)
    )
    return Picked(", ".join(address.lines), (*parts, "address"))


class RoostedHRAdapter(Adapter):
    name = "roostedhr"
    display_name = "RoostedHR"
    settings_spec = (
        Setting(
            name="api_key",
            description="API key (sent as X-API-KEY, or as a bearer token)",
            required=True,
            secret=True,
            sandbox_default="sandbox-roostedhr-key",
        ),
        Setting(
            name="base_url",
            description="API root",
            default="https://api.roostedhr.com/api/1_12",
            sandbox_default="https://roostedhr.sandbox.invalid/api/1_12",
            url=True,
        ),
        Setting(
            name="auth_scheme",
            description='how the key is sent: "x-api-key" or "bearer"',
            default="x-api-key",
            choices=("x-api-key", "bearer"),
        ),
    )
    fields = (
        FieldRule(
            wire="client_name",
            neutral=("company_name", "name", "first_name", "last_name"),
            pick=first_of(take("company_name"), person_name),
            required=True,
            max_length=255,
            label="name",
            note="company_name, else name, else first + last",
        ),
        FieldRule(
            wire="client_contact_name",
            neutral=("name", "first_name", "last_name"),
            pick=_contact_name,
            max_length=255,
            note="the person's name when client_name holds the company",
        ),
        FieldRule(
            wire="client_contact_email",
            neutral=("email",),
            pick=take("email"),
            max_length=255,
            check=valid_email,
        ),
        FieldRule(
            wire="client_address",
            neutral=("address",),
            pick=_street,
            max_length=65535,
            label="address.line1",
            note='line1, line2, line3 joined with ", "',
        ),
        FieldRule(
            wire="client_city",
            neutral=("address",),
            pick=address_part("city"),
            max_length=255,
            label="address.city",
        ),
        FieldRule(
            wire="client_state",
            neutral=("address",),
            pick=address_part("region"),
            max_length=255,
            label="address.region",
        ),
        FieldRule(
            wire="client_postal_code",
            neutral=("address",),
            pick=address_part("postal_code"),
            max_length=255,
            label="address.postal_code",
        ),
    )
    capabilities = Capabilities(invite_status=True, find_existing=True)
    # client_portal_connection_status: 0 = invited, 2 = connected, null = not connected.
    invite_table = {"0": InviteStatus.INVITED, "2": InviteStatus.CONNECTED}

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        if self.setting("auth_scheme") == "bearer":
            return {"Authorization": self.bearer("api_key")}
        return {"X-API-KEY": self.secret("api_key")}

    def client_list_request(self, page: int, size: int) -> HttpRequest:
        return HttpRequest(
            method="GET",
            url=self.url("clients") + f"?items_per_page={size}&page={page}",
            headers=self.auth_headers(),
        )

    def credential_check(self) -> HttpRequest:
        # The client listing is the only documented read; one item keeps it cheap.
        return self.client_list_request(1, 1)

    def find_existing(self, batch: Sequence[Prepared]) -> FindPlan:
        """Walk the whole client list once for records whose name, contact and email are
        what a create of each client sends (every match: the caller judges several)."""
        wanted: dict[tuple[str | None, ...], list[int]] = {}
        for position, prepared in enumerate(batch):
            wanted.setdefault(_identity(prepared.payload), []).append(position)
        found: list[list[CreateResult]] = [[] for _ in batch]
        seen = 0
        for page in range(1, MAX_LIST_PAGES + 1):
            response = yield self.client_list_request(page, LIST_PAGE_SIZE)
            if not response.is_success:
                raise self.error_from_response(response)
            records, total = self._client_list_page(response)
            for record in records:
                for position in wanted.get(_identity(record), ()):
                    try:
                        found[position].append(self.result_from_record(record, batch[position]))
                    except UnexpectedResponseError:
                        continue  # a listed record without an id cannot be matched to a row
            seen += len(records)
            if not records or seen >= total:
                return found
        raise self.unexpected(
            f"the client list did not end after {MAX_LIST_PAGES} pages", maybe_created=False
        )

    def _client_list_page(self, response: HttpResponse) -> tuple[list[dict[str, JSONValue]], int]:
        body = self.json_body(response)
        records = body.get("clients") if isinstance(body, dict) else None
        total = body.get("total_count") if isinstance(body, dict) else None
        if not isinstance(records, list) or isinstance(total, bool) or not isinstance(total, int):
            raise self.unexpected(
                'the client list has no "clients" list and "total_count"',
                response,
                maybe_created=False,
            )
        return [record for record in records if isinstance(record, dict)], total

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        return self.post_json(self.url("clients"), batch[0].payload)

    def record_status(
        self, record: Mapping[str, JSONValue]
    ) -> tuple[ClientStatus, InviteStatus | None, str | None]:
        status = ClientStatus.PENDING if record.get("pending") is True else ClientStatus.ACTIVE
        connection = record.get("client_portal_connection_status")
        if connection is None:
            return status, InviteStatus.NOT_INVITED, None
        provider_status = text_or_none(connection)
        invite = self.invite_table.get(provider_status or "", InviteStatus.UNKNOWN)
        return status, invite, provider_status

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        client_name = text_or_none(record.get("client_name"))
        contact_name = text_or_none(record.get("client_contact_name"))
        company_name = text_or_none(record.get("company_name"))
        if contact_name is not None:
            company_name = company_name or client_name
        address = Address(
            line1=text_or_none(record.get("client_address")),
            city=text_or_none(record.get("client_city")),
            region=text_or_none(record.get("client_state")),
            postal_code=text_or_none(record.get("client_postal_code")),
        )
        return Client(
            name=contact_name or client_name,
            company_name=company_name,
            email=text_or_none(record.get("client_contact_email")),
            phone=text_or_none(record.get("client_contact_phone")),
            title=text_or_none(record.get("client_contact_title")),
            address=address,
        )
