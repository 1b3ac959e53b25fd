-- Statements of the driver itself.

-- name: Ping
SELECT 1;
