-- ExpenditureBooked version 2 carries its booked line (issue #13 item 4): the statements and
-- supervision views no longer keep tables of open proposals to join at booking. Events booked
-- before version 2 take their line from the account's proposal when they are read
-- (projections/legacy.py). Read models hold nothing else from these tables.
DROP TABLE IF EXISTS stmt_proposals;
DROP TABLE IF EXISTS sup_proposals;
