"""QuickBooks Online: the customer list exported to Excel (Sales → Customers → Export).

Unverified: no public page or sample file showing this export's header row was found
(searched Intuit's help, public code and Q&A pages, December 2026), so the columns
below are the previous session's recollection and no help page is cited.
"""

from clientbridge.importer.formats.base import ExportFormat

QUICKBOOKS = ExportFormat(
    name="quickbooks",
    title="QuickBooks Online customers export",
    help_url=None,
    columns={
        "Customer": "name",
        "Company": "company_name",
        "Street Address": "address_line1",
        "City": "address_city",
        "State": "address_region",
        "Country": "address_country",
        "Zip": "address_postal_code",
        "Phone": "phone*",
        "Mobile": "phone*primary",
        "Fax": "fax*",
        "Email": "email*",
        "Website": "custom.website",
        "Attachments": "",
        "Open Balance": "",
        "Notes": "custom.notes",
    },
    identify=("Customer", "Open Balance", "Attachments"),
)
