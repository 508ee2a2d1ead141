-- cogdb revision 0002 (import): placeholder while the revision is being written.
SELECT 1;
