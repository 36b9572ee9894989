namespace Approvals.Local.Graph;

/// <summary>A group in the local directory: Graph's <c>mailEnabled</c>/<c>securityEnabled</c> say what kind it is, and
/// <c>isAssignableToRole</c> marks a role-assignable group (https://learn.microsoft.com/en-us/graph/api/resources/group).</summary>
public sealed record LocalGroup(string Id, string DisplayName, bool MailEnabled = false, bool SecurityEnabled = true, bool IsAssignableToRole = false);

/// <summary>The groups the local Graph knows: one of each kind the access workflow can meet.</summary>
public static class LocalGroups
{
    /// <summary>The local host's group for the emulator's requestable "Production" resource: a security group.</summary>
    public const string Production = Actions.FileGroups.ProductionGroup;

    /// <summary>A mail-enabled security group: read-only through Graph.</summary>
    public const string MailEnabled = "all-staff-mail";

    /// <summary>A role-assignable security group: its members change only with RoleManagement.ReadWrite.Directory.</summary>
    public const string RoleAssignable = "tier0-admins";

    public static readonly IReadOnlyDictionary<string, LocalGroup> Seed = new Dictionary<string, LocalGroup>(StringComparer.Ordinal)
    {
        [Production] = new(Production, "Production access"),
        [MailEnabled] = new(MailEnabled, "All staff (mail-enabled security group)", MailEnabled: true),
        [RoleAssignable] = new(RoleAssignable, "Tier 0 administrators (role-assignable)", IsAssignableToRole: true),
    };
}
