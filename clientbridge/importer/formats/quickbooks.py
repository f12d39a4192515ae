"""QuickBooks Online: the customer list exported to Excel (Sales → Customers → Export).

https://quickbooks.intuit.com/learn-support/en-us/help-article/customer-list/export-customer-vendor-lists-quickbooks-online/L7ISVjmx5_US_en_US
"""

from clientbridge.importer.formats.base import ExportFormat

QUICKBOOKS = ExportFormat(
    name="quickbooks",
    title="QuickBooks Online customers export",
    help_url=(
        "https://quickbooks.intuit.com/learn-support/en-us/help-article/customer-list/"
        "export-customer-vendor-lists-quickbooks-online/L7ISVjmx5_US_en_US"
    ),
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
