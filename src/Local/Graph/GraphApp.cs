namespace Approvals.Local.Graph;

/// <summary>What the app calling the local Graph holds, as an Entra tenant would record it for the app's service
/// principal: application permissions (they become the <c>roles</c> claim of its tokens) and one directory role.
/// The defaults are what <c>infra/scripts/grant-graph.sh --access</c> grants in Azure.</summary>
public sealed record GraphApp(IReadOnlyList<string> Permissions, string? DirectoryRole, IReadOnlyList<string>? OtherRoles = null)
{
    /// <summary>What the grant script gives, plus what the Temporary Access Pass action needs (docs/ACTIONS.md): its
    /// permission and the Authentication Administrator role.</summary>
    public static readonly GraphApp Default = new(
        [GraphPermissions.UserRead, GraphPermissions.PasswordProfile, GraphPermissions.GroupMemberReadWrite, GraphPermissions.TapReadWrite],
        DirectoryRoles.UserAdministrator,
        [DirectoryRoles.AuthenticationAdministrator]);

    /// <summary>True when the app holds <paramref name="role"/> (its directory role or one of the others).</summary>
    public bool HasRole(string role) =>
        string.Equals(DirectoryRole, role, StringComparison.OrdinalIgnoreCase) || (OtherRoles ?? []).Contains(role, StringComparer.OrdinalIgnoreCase);

    public bool Has(params string[] anyOf) => anyOf.Any(p => Permissions.Contains(p, StringComparer.Ordinal));
}

/// <summary>The Graph application permissions the product's calls need, each from the call's own page.</summary>
public static class GraphPermissions
{
    /// <summary>Read users, including <c>accountEnabled</c>, <c>proxyAddresses</c>, <c>lastPasswordChangeDateTime</c>
    /// (https://learn.microsoft.com/en-us/graph/api/user-get, Permissions).</summary>
    public const string UserRead = "User.Read.All";

    /// <summary>The least privileged permission to update <c>passwordProfile</c>, app-only together with a directory role
    /// (https://learn.microsoft.com/en-us/graph/api/user-update, passwordProfile).</summary>
    public const string PasswordProfile = "User-PasswordProfile.ReadWrite.All";

    public const string UserReadWrite = "User.ReadWrite.All";

    /// <summary>Add and remove members (https://learn.microsoft.com/en-us/graph/api/group-post-members,
    /// https://learn.microsoft.com/en-us/graph/api/group-delete-members).</summary>
    public const string GroupMemberReadWrite = "GroupMember.ReadWrite.All";

    public const string GroupMemberRead = "GroupMember.Read.All";

    /// <summary>Create, read and delete users' Temporary Access Passes: the least privileged application permission, or
    /// the higher <see cref="AuthMethodReadWrite"/> (https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods,
    /// Permissions); reading alone takes <see cref="TapRead"/> (https://learn.microsoft.com/en-us/graph/api/authentication-list-temporaryaccesspassmethods).</summary>
    public const string TapReadWrite = "UserAuthMethod-TAP.ReadWrite.All";

    public const string TapRead = "UserAuthMethod-TAP.Read.All";

    public const string AuthMethodReadWrite = "UserAuthenticationMethod.ReadWrite.All";

    /// <summary>Also needed to change the members of a role-assignable group (group-post-members: "To add members to a
    /// role-assignable group, the calling user must also be assigned the RoleManagement.ReadWrite.Directory permission").</summary>
    public const string RoleManagement = "RoleManagement.ReadWrite.Directory";
}

/// <summary>Entra directory roles, and whose password each may reset ("Who can reset passwords",
/// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions#who-can-reset-passwords).</summary>
public static class DirectoryRoles
{
    public const string UserAdministrator = "User Administrator";
    public const string GlobalAdministrator = "Global Administrator";
    public const string PrivilegedAuthenticationAdministrator = "Privileged Authentication Administrator";

    /// <summary>Manages authentication methods of users without an admin role (and of some reader roles); a privileged
    /// user's methods need Privileged Authentication Administrator
    /// (https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference#authentication-administrator).</summary>
    public const string AuthenticationAdministrator = "Authentication Administrator";

    /// <summary>The table's "User Admin" column: users with no admin role and these roles. Not: Global, Authentication,
    /// Privileged Authentication or Privileged Role Administrators, custom roles, nor a user who is a member of a
    /// role-assignable group.</summary>
    static readonly HashSet<string> UserAdministratorCanReset = new(StringComparer.OrdinalIgnoreCase)
    {
        "Directory Readers", "Groups Administrator", "Guest Inviter", "Helpdesk Administrator", "Message Center Reader",
        "Password Administrator", "Reports Reader", UserAdministrator, "Usage Summary Reports Reader",
    };

    /// <summary>True when an app holding <paramref name="appRole"/> may reset the password of a person holding
    /// <paramref name="targetRole"/> (null: no admin role) who is, or is not, in a role-assignable group.</summary>
    public static bool MayResetPassword(string? appRole, string? targetRole, bool inRoleAssignableGroup)
    {
        if (string.Equals(appRole, GlobalAdministrator, StringComparison.OrdinalIgnoreCase)
            || string.Equals(appRole, PrivilegedAuthenticationAdministrator, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!string.Equals(appRole, UserAdministrator, StringComparison.OrdinalIgnoreCase) || inRoleAssignableGroup)
        {
            return false;
        }

        return targetRole is null || UserAdministratorCanReset.Contains(targetRole);
    }
}
