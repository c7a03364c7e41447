trigger AccountTrigger on Account (before insert, before update, after update) {
    AccountTriggerHandler.run();
}
