using Approvals.Core.Identity;

namespace Approvals.Core.Step;

/// <summary>What a caller's orchestrator asks a human to approve, through
/// <see cref="ApprovalStepExtensions.RequestApprovalAsync"/>: the reason the approver reads, the one Indent resource the
/// petition is for, the directory person asking (four eyes compares the approver with them on object ids), and how long
/// to wait for a decision from the moment the step starts. Built in the caller's orchestrator, so it must be
/// deterministic: no clock, no I/O.</summary>
/// <param name="Reason">Shown to the approver and kept in Indent's audit log.</param>
/// <param name="Resource">The resource the petition names (exactly one: the seal that proves a petition is ours checks it).</param>
/// <param name="Requester">The person asking: a directory person, best by object id (<see cref="Requester.Id"/>; a user
/// principal name or mail is accepted). The step first resolves every identifier given (id and email) to exactly one
/// enabled directory person, and ends <see cref="ApprovalRefusalReason.Failed"/> without a petition when it cannot; the
/// petitioner Indent shows, and the person four eyes compares the approver with, is that person, by object id.</param>
/// <param name="Deadline">How long to wait for a decision; at least 5 seconds, at most 31 days. Past it the petition is
/// closed and the step returns <see cref="ApprovalRefusalReason.Expired"/>.</param>
public sealed record ApprovalRequest(string Reason, ApprovalResource Resource, Requester Requester, TimeSpan Deadline)
{
    /// <summary>How long the grant should last (the petition's default duration, which the approver may change or drop);
    /// null asks for none. The duration actually granted — what Indent recorded — is <see cref="ApprovalGrant.Duration"/>.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The fallback poll's first interval (doubling up to <see cref="PollMax"/>); Indent's webhook, when the app
    /// receives it, wakes the step sooner.</summary>
    public TimeSpan PollInitial { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The fallback poll's longest interval.</summary>
    public TimeSpan PollMax { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>An Indent resource a petition asks for: its kind (<c>secret</c>, <c>action</c>, <c>environment</c>…), its id
/// and the name people read.</summary>
public sealed record ApprovalResource(string Kind, string Id, string? DisplayName = null);
