"""Zoho CRM: the Contacts module exported to CSV.

Columns are the module's field labels:
https://help.zoho.com/portal/en/kb/crm/data-administration/export-data/articles/export-crm-data
and the Contacts fields (Contact Owner, Secondary Email, Asst Phone, Skype ID, Email Opt
Out, Mailing/Other Street, City, State, Zip, Country...) at
https://help.zoho.com/portal/en/kb/crm/customize-crm-account/customizing-fields/articles/standard-modules-fields
Unverified: "Record Id", "Full Name", "Twitter", "Tag" and the Created/Modified/Last
Activity Time columns (not in that field list; "Record Id" is what public samples of
Zoho exports show).
The columns that hold no client data (``not_client_data``) are the Contacts fields of
that list that are Zoho's own bookkeeping (owner, created/modified by and time, currency,
exchange rate, locked, layout, enrichment, unsubscription, reports-to and assistant),
the website-visit fields Zoho SalesIQ adds to Contacts (visitor score, days visited, first
and last visit, chats, referrer), and the ``.id`` column Zoho writes next to each lookup
field's name.
"""

from clientbridge.importer.formats.base import ExportFormat

# Zoho's "Title" is the job title; the salutation is "Salutation".
ZOHO_CRM = ExportFormat(
    name="zoho-crm",
    title="Zoho CRM contacts export",
    help_url=(
        "https://help.zoho.com/portal/en/kb/crm/data-administration/export-data/articles/"
        "export-crm-data"
    ),
    columns={
        "Record Id": "external_id",
        "Contact Owner": "",
        "Lead Source": "source",
        "Salutation": "title",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Full Name": "name",
        "Account Name": "company_name",
        "Vendor Name": "",
        "Title": "custom.job_title",
        "Department": "custom.department",
        "Email": "email*primary",
        "Secondary Email": "email*",
        "Phone": "phone*",
        "Mobile": "phone*primary",
        "Home Phone": "phone*",
        "Other Phone": "phone*",
        "Asst Phone": "phone*",
        "Fax": "fax*",
        "Skype ID": "custom.skype",
        "Twitter": "custom.twitter",
        "Date of Birth": "custom.birthdate",
        "Email Opt Out": "",
        "Mailing Street": "address.mailing.line1",
        "Mailing City": "address.mailing.city",
        "Mailing State": "address.mailing.region",
        "Mailing Zip": "address.mailing.postal_code",
        "Mailing Country": "address.mailing.country",
        "Other Street": "address.other.line1",
        "Other City": "address.other.city",
        "Other State": "address.other.region",
        "Other Zip": "address.other.postal_code",
        "Other Country": "address.other.country",
        "Description": "custom.description",
        "Created By": "",
        "Modified By": "",
        "Created Time": "",
        "Modified Time": "",
        "Last Activity Time": "",
        "Tag": "custom.tag",
    },
    identify=("Mailing Zip", "Secondary Email", "Skype ID", "Email Opt Out", "Record Id"),
    # Zoho writes a lookup field's record id next to its name ("Contact Owner.id") and
    # its own bookkeeping fields (owner, currency, enrichment, unsubscription, deals).
    not_client_data=(
        "*.id",
        "* owner",
        "* owner id",
        "created by",
        "modified by",
        "* time",
        "currency",
        "exchange rate",
        "locked",
        "layout",
        "record image",
        "enrich status*",
        "unsubscribed *",
        "reports to",
        "reporting to",
        "assistant",
        "visitor score",
        "average time spent*",
        "days visited",
        "first visit*",
        "last visit*",
        "most recent visit",
        "number of chats",
        "referrer",
        "first page visited",
        "data source",
        "data processing basis*",
        "email opt out",
        "sms opt out",
        "tag",
        "tags",
        "* deals",
        "deals*",
        "number of *",
    ),
)
