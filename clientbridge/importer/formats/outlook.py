"""Outlook (Windows): contacts exported to "Comma Separated Values".

The file is written in the system's ANSI code page (Windows-1252 in Western Europe and
the Americas). Export: https://support.microsoft.com/en-us/office/export-contacts-from-outlook-10f09abd-643c-4495-bb80-543714eca73f
The columns are those of Microsoft's sample Outlook CSV,
https://support.microsoft.com/en-us/office/create-or-edit-csv-files-to-import-into-outlook-4518d70d-8fe9-46ad-94fa-1494247193c7
as public code copies it ("Business Country/Region", "Business Address PO Box",
"E-mail Display Name"...). The older layout, which Google Contacts still writes as
"Outlook CSV", names the country "Business Country" and adds a whole "Business Address"
column: https://pastebin.com/Qg2jhuXJ
"""

from clientbridge.importer.formats.base import ExportFormat


def _address(prefix: str, group: str) -> dict[str, str]:
    return {
        f"{prefix} Address": f"address.{group}.formatted",
        f"{prefix} Street": f"address.{group}.line1",
        f"{prefix} Street 2": f"address.{group}.line2",
        f"{prefix} Street 3": f"address.{group}.line3",
        f"{prefix} City": f"address.{group}.city",
        f"{prefix} State": f"address.{group}.region",
        f"{prefix} Postal Code": f"address.{group}.postal_code",
        f"{prefix} Country/Region": f"address.{group}.country",
        f"{prefix} Country": f"address.{group}.country",
        f"{prefix} Address PO Box": f"address.{group}.po_box",
    }


# Outlook's "Title" is the salutation (Mr, Dr); the job title is "Job Title".
OUTLOOK = ExportFormat(
    name="outlook",
    title="Outlook contacts CSV",
    help_url=(
        "https://support.microsoft.com/en-us/office/"
        "export-contacts-from-outlook-10f09abd-643c-4495-bb80-543714eca73f"
    ),
    columns={
        "Title": "title",
        "First Name": "first_name",
        "Middle Name": "",
        "Last Name": "last_name",
        "Suffix": "",
        "Company": "company_name",
        "Department": "custom.department",
        "Job Title": "custom.job_title",
        **_address("Business", "business"),
        **_address("Home", "home"),
        **_address("Other", "other"),
        "Primary Phone": "phone*primary",
        "Mobile Phone": "phone*primary",
        "Business Phone": "phone*",
        "Business Phone 2": "phone*",
        "Home Phone": "phone*",
        "Home Phone 2": "phone*",
        "Company Main Phone": "phone*",
        "Other Phone": "phone*",
        "Assistant's Phone": "phone*",
        "Car Phone": "phone*",
        "Callback": "phone*",
        "Radio Phone": "phone*",
        "ISDN": "other*",
        "Pager": "other*",
        "TTY/TDD Phone": "other*",
        "Telex": "other*",
        "Business Fax": "fax*",
        "Home Fax": "fax*",
        "Other Fax": "fax*",
        "E-mail Address": "email*",
        "E-mail Type": "",
        "E-mail Display Name": "",
        "E-mail 2 Address": "email*",
        "E-mail 2 Type": "",
        "E-mail 2 Display Name": "",
        "E-mail 3 Address": "email*",
        "E-mail 3 Type": "",
        "E-mail 3 Display Name": "",
        "Account": "",
        "Anniversary": "",
        "Assistant's Name": "",
        "Billing Information": "",
        "Birthday": "custom.birthday",
        "Categories": "custom.categories",
        "Children": "",
        "Directory Server": "",
        "Gender": "",
        "Government ID Number": "",
        "Hobby": "",
        "Initials": "",
        "Internet Free Busy": "",
        "Keywords": "",
        "Language": "",
        "Location": "",
        "Manager's Name": "",
        "Mileage": "",
        "Notes": "custom.notes",
        "Office Location": "",
        "Organizational ID Number": "",
        "Priority": "",
        "Private": "",
        "Profession": "",
        "Referred By": "",
        "Sensitivity": "",
        "Spouse": "",
        "User 1": "",
        "User 2": "",
        "User 3": "",
        "User 4": "",
        "Web Page": "custom.website",
    },
    identify=(
        "Business Street",
        "Business Postal Code",
        "E-mail Display Name",
        "Home Street",
        "Business Country/Region",
    ),
)
