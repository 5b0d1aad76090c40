// Local transport: snapshot and event-poll adapters over .superloop/ files; control through the runtime command.
export {};
