trigger InvoiceTrigger on Invoice__c (before insert, before update) {
    for (Invoice__c invoice : Trigger.new) {
        if (invoice.Status__c == null) {
            invoice.Status__c = 'Draft';
        }
    }
}
