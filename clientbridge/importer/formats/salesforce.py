"""Salesforce: a Contacts report exported to CSV or Excel, and a Data Loader extract.

Report columns (field labels): https://help.salesforce.com/s/articleView?id=sf.reports_export.htm
Data Loader columns (API names, upper case in extracts):
https://developer.salesforce.com/docs/atlas.en-us.dataLoader.meta/dataLoader/exporting_data.htm
and the Contact object's fields:
https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contact.htm
"""

from clientbridge.importer.formats.base import ExportFormat

# Salesforce's "Title" is the job title; the salutation is "Salutation".
SALESFORCE_REPORT = ExportFormat(
    name="salesforce-report",
    title="Salesforce report export",
    help_url="https://help.salesforce.com/s/articleView?id=sf.reports_export.htm",
    columns={
        "Contact ID": "external_id",
        "Salutation": "title",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "custom.job_title",
        "Department": "custom.department",
        "Account Name": "company_name",
        "Email": "email*",
        "Phone": "phone*",
        "Mobile": "phone*primary",
        "Fax": "fax*",
        "Home Phone": "phone*",
        "Other Phone": "phone*",
        "Mailing Street": "address_line1",
        "Mailing City": "address_city",
        "Mailing State/Province": "address_region",
        "Mailing Zip/Postal Code": "address_postal_code",
        "Mailing Country": "address_country",
        "Lead Source": "source",
        "Birthdate": "custom.birthdate",
        "Contact Owner": "",
        "Created Date": "",
        "Last Modified Date": "",
    },
    identify=("Mailing Zip/Postal Code", "Mailing State/Province", "Contact ID", "Account Name"),
)

SALESFORCE_DATA_LOADER = ExportFormat(
    name="salesforce-data-loader",
    title="Salesforce Data Loader extract (Contact)",
    help_url=(
        "https://developer.salesforce.com/docs/atlas.en-us.dataLoader.meta/dataLoader/"
        "exporting_data.htm"
    ),
    columns={
        "Id": "external_id",
        "AccountId": "custom.salesforce_account_id",
        "Salutation": "title",
        "FirstName": "first_name",
        "LastName": "last_name",
        "Name": "name",
        "Title": "custom.job_title",
        "Department": "custom.department",
        "Email": "email*",
        "Phone": "phone*",
        "MobilePhone": "phone*primary",
        "HomePhone": "phone*",
        "OtherPhone": "phone*",
        "AssistantPhone": "phone*",
        "Fax": "fax*",
        "MailingStreet": "address.mailing.line1",
        "MailingCity": "address.mailing.city",
        "MailingState": "address.mailing.region",
        "MailingPostalCode": "address.mailing.postal_code",
        "MailingCountry": "address.mailing.country",
        "OtherStreet": "address.other.line1",
        "OtherCity": "address.other.city",
        "OtherState": "address.other.region",
        "OtherPostalCode": "address.other.postal_code",
        "OtherCountry": "address.other.country",
        "LeadSource": "source",
        "Birthdate": "custom.birthdate",
        "Description": "custom.description",
        "OwnerId": "",
        "CreatedDate": "",
        "LastModifiedDate": "",
        "SystemModstamp": "",
        "IsDeleted": "",
    },
    identify=("MailingPostalCode", "MailingState", "AccountId", "OwnerId", "SystemModstamp"),
)
