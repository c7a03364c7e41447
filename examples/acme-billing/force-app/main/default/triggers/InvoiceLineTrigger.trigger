trigger InvoiceLineTrigger on Invoice_Line__c (after insert, after update, after delete) {
    InvoiceLineHandler.recalculateTotals(Trigger.isDelete ? Trigger.old : Trigger.new);
}
