-- Rollback of add-order-status (rollback.yaml).
ALTER TABLE ex_orders DROP COLUMN status;
