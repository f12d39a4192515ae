"""HubSpot: contacts exported from the Contacts index page (CSV, XLS or XLSX).

Export: https://knowledge.hubspot.com/import-and-export/export-records (linked from
HubSpot's own exports API guide) and the default contact properties at
https://knowledge.hubspot.com/contacts/hubspots-default-contact-properties
The headers are the properties' labels, as in a 2023 "all contacts" export header that
public code checks ("Record ID", "Phone Number", "Mobile Phone Number", "State/Region",
"Country/Region", "Contact owner", "WhatsApp Phone Number"...), and the default export
("Primary Associated Company ID", "Marketing contact status"). Older exports wrote
"Contact ID" for "Record ID". Unverified: "Additional email addresses".
The HubSpot properties that hold no client data (owner, scores, lifecycle and lead
status, marketing status, associations, deal and activity counts and dates, sources)
are in the same default properties list (``not_client_data``).
"""

from clientbridge.importer.formats.base import ExportFormat

HUBSPOT = ExportFormat(
    name="hubspot",
    title="HubSpot contacts export",
    help_url="https://knowledge.hubspot.com/import-and-export/export-records",
    columns={
        "Record ID": "external_id",
        "Salutation": "title",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email*primary",
        "Additional email addresses": "email*",
        "Phone Number": "phone*",
        "Mobile Phone Number": "phone*primary",
        "Fax Number": "fax*",
        "WhatsApp Phone Number": "whatsapp*",
        "Company Name": "company_name",
        "Associated Company": "",
        "Primary Associated Company ID": "",
        "Job Title": "custom.job_title",
        "Street Address": "address_line1",
        "City": "address_city",
        "State/Region": "address_region",
        "Postal Code": "address_postal_code",
        "Country/Region": "address_country",
        "Website URL": "custom.website",
        "Contact owner": "",
        "Lifecycle Stage": "custom.lifecycle_stage",
        "Lead Status": "custom.lead_status",
        "Original Source": "source",
        "Create Date": "",
        "Last Activity Date": "",
        "Marketing contact status": "",
    },
    identify=("Record ID", "Mobile Phone Number", "State/Region", "Country/Region"),
    not_client_data=(
        "contact owner*",
        "hubspot *",
        "hubspot score",
        "lifecycle stage",
        "lead status",
        "marketing contact status",
        "* date",
        "became a * date",
        "number of *",
        "associated *",
        "primary associated *",
        "recent deal *",
        "total revenue",
        "email domain",
        "original source*",
        "latest source*",
        "unsubscribed from all email",
        "last activity*",
    ),
)
