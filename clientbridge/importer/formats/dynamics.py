"""Microsoft Dynamics 365 (Dataverse): a Contacts view exported to Excel (or CSV).

The export holds the view's columns by display name, after three "(Do Not Modify)"
columns that let the sheet be imported back:
https://learn.microsoft.com/en-us/power-apps/user/export-data-excel and the contact
columns' display names ("Email Address 2", "Company Name" for parentcustomerid,
"Address 1: ZIP/Postal Code"...) at
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/contact
"(Do Not Modify) <Table>", "(Do Not Modify) Row Checksum" and "(Do Not Modify) Modified
On" are what public samples of such exports begin with. Unverified: "Account Name"
(a contact view shows it only as a related account's column).
"""

from clientbridge.importer.formats.base import ExportFormat

DYNAMICS_365 = ExportFormat(
    name="dynamics-365",
    title="Dynamics 365 contacts export",
    help_url="https://learn.microsoft.com/en-us/power-apps/user/export-data-excel",
    columns={
        "(Do Not Modify) Contact": "external_id",
        "(Do Not Modify) Row Checksum": "",
        "(Do Not Modify) Modified On": "",
        "Full Name": "name",
        "Salutation": "title",
        "First Name": "first_name",
        "Middle Name": "",
        "Last Name": "last_name",
        "Job Title": "custom.job_title",
        "Company Name": "company_name",
        "Account Name": "company_name",
        "Email": "email*primary",
        "Email Address 2": "email*",
        "Email Address 3": "email*",
        "Business Phone": "phone*",
        "Mobile Phone": "phone*primary",
        "Home Phone": "phone*",
        "Fax": "fax*",
        "Birthday": "custom.birthday",
        "Address 1: Street 1": "address_line1",
        "Address 1: Street 2": "address_line2",
        "Address 1: Street 3": "address_line3",
        "Address 1: City": "address_city",
        "Address 1: State/Province": "address_region",
        "Address 1: ZIP/Postal Code": "address_postal_code",
        "Address 1: Country/Region": "address_country",
        "Preferred Method of Contact": "",
        "Owner": "",
        "Status": "",
        "Created On": "",
    },
    identify=(
        "(Do Not Modify) Contact",
        "(Do Not Modify) Row Checksum",
        "Address 1: ZIP/Postal Code",
        "Address 1: Street 1",
    ),
)
