"""Pipedrive: people exported from the People list view (CSV or Excel).

Columns are "Person - <field>"; multi-valued email and phone fields are one column per
label, and an address field is one column per part:
https://support.pipedrive.com/en/article/exporting-data-from-pipedrive
The spellings ("Person - Email - Work", "Person - Phone - Mobile", "Person - Job title",
"Person - Postal address - ZIP/Postal code"...) match the ones public importers of
Pipedrive exports read; newer exports write the label field as "Person - Labels".
The person fields Pipedrive keeps itself (owner, visibility, the counts of open, won,
lost and closed deals, activities and email messages, next and last activity dates,
marketing status, followers, profile picture) are the read-only fields of a person in
Pipedrive's API, https://developers.pipedrive.com/docs/api/v1/Persons; they hold no
client data (``not_client_data``), nor the linked organization's own columns.
"""

from clientbridge.importer.formats.base import ExportFormat

_ADDRESS = "Person - Postal address"

PIPEDRIVE = ExportFormat(
    name="pipedrive",
    title="Pipedrive people export",
    help_url="https://support.pipedrive.com/en/article/exporting-data-from-pipedrive",
    columns={
        "Person - ID": "external_id",
        "Person - Name": "name",
        "Person - First name": "first_name",
        "Person - Last name": "last_name",
        "Person - Organization": "company_name",
        "Person - Job title": "custom.job_title",
        "Person - Email - Work": "email*primary",
        "Person - Email - Home": "email*",
        "Person - Email - Other": "email*",
        "Person - Email": "email*",
        "Person - Phone - Work": "phone*",
        "Person - Phone - Home": "phone*",
        "Person - Phone - Mobile": "phone*primary",
        "Person - Phone - Other": "phone*",
        "Person - Phone": "phone*",
        f"{_ADDRESS}": "address.postal.formatted",
        f"{_ADDRESS} - Apartment/suite no": "address.postal.line2",
        f"{_ADDRESS} - House number": "address.postal.number",
        f"{_ADDRESS} - Street/road name": "address.postal.line1",
        f"{_ADDRESS} - District/sublocality": "address.postal.line3",
        f"{_ADDRESS} - City/town/village/locality": "address.postal.city",
        f"{_ADDRESS} - State/county": "address.postal.region",
        f"{_ADDRESS} - Region": "",
        f"{_ADDRESS} - Country": "address.postal.country",
        f"{_ADDRESS} - ZIP/Postal code": "address.postal.postal_code",
        f"{_ADDRESS} - Full/combined address": "address.postal.formatted",
        "Person - Label": "custom.label",
        "Person - Labels": "custom.label",
        "Person - Owner": "",
        "Person - Visible to": "",
        "Person - Person created": "",
        "Person - Update time": "",
        "Person - Open deals": "",
        "Person - Closed deals": "",
    },
    identify=("Person - Name", "Person - ID", "Person - Email - Work", "Person - Organization"),
    # the person fields Pipedrive keeps itself: owner, visibility, counts and dates of
    # deals, activities and emails, marketing status, followers, picture
    not_client_data=(
        "person - owner*",
        "person - visible to",
        "person - * deals",
        "person - * deals count",
        "person - deals*",
        "person - *activities*",
        "person - *activity date",
        "person - last email *",
        "person - email messages count",
        "person - followers*",
        "person - marketing status",
        "person - profile picture",
        "person - add time",
        "person - person created",
        "person - update time",
        "person - * id",
        "organization - *",
    ),
)
