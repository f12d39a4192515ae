"""Salesforce: a Contacts report exported to CSV or Excel, and a Data Loader extract.

Report export: https://help.salesforce.com/s/articleView?id=analytics.reports_export.htm&type=5
(the column headers are the fields' labels). Data Loader export:
https://developer.salesforce.com/docs/atlas.en-us.dataLoader.meta/dataLoader/exporting_data.htm
(the column headers are the API names). The API names below match the Contact field
reference, https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-contact.html
and the report's labels ("Mailing Zip/Postal Code", "Mailing State/Province", "Asst. Phone"...)
the ones public Salesforce UI test suites type into the Contact form.
Unverified: the report's "Phone", "Mobile" and "Fax" (the reference labels those fields
"Business Phone", "Mobile Phone" and "Business Fax"; no sample report export was found),
and that Data Loader writes its headers in upper case as the fixture does (headers are
compared without case, so either reads).
The columns that hold no client data (``not_client_data``) are the Contact fields of
that reference Salesforce keeps itself: owner and record ids, flags, dates, opt-outs.
"""

from clientbridge.importer.formats.base import ExportFormat

# Salesforce's "Title" is the job title; the salutation is "Salutation".
SALESFORCE_REPORT = ExportFormat(
    name="salesforce-report",
    title="Salesforce report export",
    help_url="https://help.salesforce.com/s/articleView?id=analytics.reports_export.htm&type=5",
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
    not_client_data=(
        "* owner",
        "* owner alias",
        "* alias",
        "account id",
        "account owner*",
        "created by",
        "last modified by",
        "* date",
        "last activity",
        "email opt out",
        "do not call",
        "fax opt out",
        "contact record type",
        "contact currency",
    ),
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
    # the Contact fields Salesforce keeps itself (record ids, flags, dates, Data.com)
    not_client_data=(
        "*id",
        "is*",
        "*date",
        "systemmodstamp",
        "hasoptedout*",
        "donotcall",
        "emailbounced*",
        "jigsaw*",
        "cleanstatus",
        "photourl",
        "currencyisocode",
    ),
)
