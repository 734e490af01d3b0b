/*
 * trust.c: is knockd's group private to it?
 *
 * The whole user database is read (getpwent, getgrent): a user whose
 * primary group is knockd's, or a second group entry with the same number
 * and other members, could read the keys too. A database that cannot be
 * enumerated (some LDAP setups) hides such members; the manual says so.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "trust.h"

/* Why gid is not private to user, or NULL if it is. */
static const char *
trust_why_not(const char *user, gid_t gid, char *buf, size_t len)
{
	struct passwd *pw;
	struct group *gr;
	char **m;
	const char *why = NULL;

	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_gid == gid && strcmp(pw->pw_name, user) != 0) {
			snprintf(buf, len, "it is also the primary group of "
			    "user %s", pw->pw_name);
			why = buf;
			break;
		}
	endpwent();
	if (why != NULL)
		return (why);
	setgrent();
	while ((gr = getgrent()) != NULL) {
		if (gr->gr_gid != gid)
			continue;
		if (strcmp(gr->gr_name, user) != 0) {
			snprintf(buf, len, "group %s has the same number",
			    gr->gr_name);
			why = buf;
			break;
		}
		for (m = gr->gr_mem; *m != NULL; m++)
			if (strcmp(*m, user) != 0)
				break;
		if (*m != NULL) {
			snprintf(buf, len, "user %s is a member", *m);
			why = buf;
			break;
		}
	}
	endgrent();
	return (why);
}

void
trust_refresh(int report)
{
	static int warned;
	struct passwd *pw;
	struct group *gr;
	char name[64], buf[128];
	const char *why;
	gid_t gid;

	keys_trust_no_group();
	if (geteuid() == 0)
		pw = getpwnam(TRUST_USER);
	else if ((pw = getpwuid(geteuid())) != NULL && pw->pw_gid != getegid())
		pw = NULL;
	if (pw == NULL || pw->pw_uid == 0 || pw->pw_gid == 0)
		return;
	/* pw points into static storage that the scans below reuse. */
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	gid = pw->pw_gid;
	if ((gr = getgrgid(gid)) == NULL || strcmp(gr->gr_name, name) != 0)
		why = "it is not named as the user";
	else
		why = trust_why_not(name, gid, buf, sizeof(buf));
	if (why == NULL) {
		keys_trust_group(gid);
		warned = 0;
		return;
	}
	/* Only a knockd not run as root depends on the group to read. */
	if (geteuid() != 0 && report && !warned) {
		log_warn("not trusting group %u to read key files: %s",
		    (unsigned int)gid, why);
		warned = 1;
	}
}
