namespace Approvals.Core.People;

/// <summary>Who approved a grant, as the directory knows them: the object ids of every directory person any of the
/// Indent actor's identifiers (id, email, <c>altIds</c>) names, the disabled ones among them, the
/// <c>APPROVALS_AUTO_APPROVERS</c> entry it matched (an Indent rule or bot allowed to approve on its own), and, when
/// the actor could not be looked up at all, why. <see cref="Shown"/> is for people to read, never for deciding.</summary>
public sealed record ApproverCheck(
    string Shown,
    IReadOnlyList<string> PersonIds,
    IReadOnlyList<string>? DisabledIds = null,
    string? Automatic = null,
    string? Problem = null)
{
    /// <summary>A grant whose approve event names nobody (an Indent rule that recorded no actor, a grant applied
    /// without an approval).</summary>
    public static ApproverCheck NoApprover { get; } = new("nobody", [], Problem: "the grant names no approver");

    /// <summary>True when <paramref name="personId"/> is among the persons the approver resolved to.</summary>
    public bool Names(string? personId) => personId is not null && PersonIds.Contains(personId.Trim(), StringComparer.OrdinalIgnoreCase);
}
