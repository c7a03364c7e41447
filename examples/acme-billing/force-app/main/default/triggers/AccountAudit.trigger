// Added later by another team: a second trigger on Account, run in no defined order.
trigger AccountAudit on Account (after update) {
    List<Task> audits = new List<Task>();
    for (Account acc : Trigger.new) {
        audits.add(new Task(WhatId = acc.Id, Subject = 'Account changed'));
    }
    insert audits;
}
