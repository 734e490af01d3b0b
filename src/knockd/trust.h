/*
 * trust.h: which group, if any, knockd trusts to read its key files.
 *
 * knockd.service runs knockd as the system user knockd, and its config is
 * root:knockd 0640: root edits it, only knockd reads it. That is safe only
 * while the group is private to the user knockd, so knockd checks it at
 * start and at each reload, and trusts no group otherwise.
 */
#ifndef KNOCKD_TRUST_H
#define KNOCKD_TRUST_H

#define TRUST_USER	"knockd"	/* knockd.service's User= */

/*
 * trust_refresh(report): decide again (keys_trust_group) whether knockd trusts
 * a group: the primary group of the user knockd runs as, or of the user
 * knockd when run as root, provided that group is private: named as the
 * user, not root's, and no other account has it, as its primary group or
 * as a member, in any group entry with that number the user database
 * lists. If report is non-zero, logs once why a group knockd runs in is
 * not trusted (serving; not a person's knockd --check, --status or
 * --pubkey, where it is beside the point).
 */
void trust_refresh(int report);

#endif
