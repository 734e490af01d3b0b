/*
 * svccheck.h: would knockd.service, which runs as the user knockd, be able
 * to read what root's knockd --check just read?
 */
#ifndef KNOCKD_SVCCHECK_H
#define KNOCKD_SVCCHECK_H

/*
 * svccheck_as_service(path): for knockd --check run by root: load the
 * configuration path (and every key file it names) again in a child that
 * is the user knockd, as knockd.service starts it (User=, Group=, the
 * user's groups). Root reads any file; the service does not, and a key
 * file root made 0600 stops it. Started by anyone else, there is nothing
 * to add: that user has just read the files. Returns 0 if the service
 * could load them; -1 after the child's errors and a line naming the fix
 * (or, as root, if the user knockd does not exist: sandbox_lookup).
 */
int svccheck_as_service(const char *path);

#endif
