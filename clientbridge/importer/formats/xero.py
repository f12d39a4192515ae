"""Xero: contacts exported from Contacts → All contacts → Export (CSV).

The export has the columns of Xero's contact import template, with ``*`` on the
required one: https://central.xero.com/s/article/Import-contacts-into-Xero
(which documents PhoneNumber, DDINumber, the PO/SA address columns, Person[x]...,
TrackingName1/2 with SalesTrackingOption1/2 and PurchasesTrackingOption1/2, ...).
MobileNumber, FaxNumber and AccountNumber are not on that page but are in the template
as public code that writes it spells it. Unverified: ContactID, SkypeName and LegalName.
"""

from clientbridge.importer.formats.base import ExportFormat


def _address(prefix: str, group: str) -> dict[str, str]:
    return {
        f"{prefix}AttentionTo": "",
        f"{prefix}AddressLine1": f"address.{group}.line1",
        f"{prefix}AddressLine2": f"address.{group}.line2",
        f"{prefix}AddressLine3": f"address.{group}.line3",
        f"{prefix}AddressLine4": "",
        f"{prefix}City": f"address.{group}.city",
        f"{prefix}Region": f"address.{group}.region",
        f"{prefix}PostalCode": f"address.{group}.postal_code",
        f"{prefix}Country": f"address.{group}.country",
    }


# Xero's contact is usually the business; the person is FirstName/LastName.
XERO = ExportFormat(
    name="xero",
    title="Xero contacts export",
    help_url="https://central.xero.com/s/article/Import-contacts-into-Xero",
    columns={
        "*ContactName": "company_name",
        "ContactName": "company_name",
        "AccountNumber": "external_id",
        "EmailAddress": "email*",
        "FirstName": "first_name",
        "LastName": "last_name",
        **_address("PO", "postal"),
        **_address("SA", "street"),
        "PhoneNumber": "phone*",
        "MobileNumber": "phone*primary",
        "DDINumber": "phone*",
        "FaxNumber": "fax*",
        "SkypeName": "custom.skype",
        "Website": "custom.website",
        "LegalName": "custom.legal_name",
        "CompanyNumber": "custom.company_number",
        "TaxNumber": "custom.tax_number",
        "BankAccountName": "",
        "BankAccountNumber": "",
        "BankAccountParticulars": "",
        "BankAccountCode": "",
        "BankAccountReference": "",
        "AccountsReceivableTaxCodeName": "",
        "AccountsPayableTaxCodeName": "",
        "Discount": "",
        "DueDateBillDay": "",
        "DueDateBillTerm": "",
        "DueDateSalesDay": "",
        "DueDateSalesTerm": "",
        "SalesAccount": "",
        "PurchasesAccount": "",
        # The contact template's tracking columns (TrackingOption1/2 are the invoice
        # template's, not this one's).
        "TrackingName1": "",
        "SalesTrackingOption1": "",
        "PurchasesTrackingOption1": "",
        "TrackingName2": "",
        "SalesTrackingOption2": "",
        "PurchasesTrackingOption2": "",
        # Additional people on the contact: other people than the client, not imported.
        "Person{n}FirstName": "",
        "Person{n}LastName": "",
        "Person{n}Email": "",
        "Person{n}IncludeInEmail": "",
        "BrandingTheme": "",
        "DefaultTaxBills": "",
        "DefaultTaxSales": "",
        "ContactID": "",
    },
    identify=("*ContactName", "POAddressLine1", "POPostalCode", "SAAddressLine1", "DDINumber"),
)
