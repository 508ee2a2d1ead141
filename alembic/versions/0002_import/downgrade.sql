-- cogdb revision 0002 (import): downgrade to 0001.
SELECT 1;
