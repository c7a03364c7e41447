// Switched off in its -meta.xml: it does not count as a second Invoice__c trigger.
trigger LegacyInvoiceTrigger on Invoice__c (after insert) {
    System.debug('legacy');
}
