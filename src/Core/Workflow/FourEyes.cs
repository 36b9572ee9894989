using Approvals.Core.People;

namespace Approvals.Core.Workflow;

/// <summary>Four eyes between persons, enforced by us whatever the Indent space allows: a grant is used only when it
/// was approved by exactly one enabled directory person who is neither the requester nor the target — compared on
/// directory object ids, under any identifier the approver carries — or by an Indent rule or bot listed in
/// <c>APPROVALS_AUTO_APPROVERS</c>. Everything else is refused: an approver the directory does not know, one that names
/// several people, a disabled one, a grant that names no approver.</summary>
public static class FourEyes
{
    /// <summary>Why the grant in <paramref name="snapshot"/> may not be used; <c>null</c> when someone else approved.</summary>
    public static string? Refusal(ApprovalInput input, PetitionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Refusal(input.RequestedBy, input.Target, snapshot);
    }

    /// <summary>The same rule, from the requester and the target user alone (what an activity is given).</summary>
    public static string? Refusal(Identity.Requester? requestedBy, TargetUser? target, PetitionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (requestedBy is null && target is null)
        {
            // Started by a build that did not yet record who asked and for whom (the input has neither): nobody can show
            // the approver is someone else, so the grant is refused rather than used unjudged after an upgrade.
            return "four eyes: this approval was started before requester and target were recorded, so the grant cannot be shown to be someone else's; ask again";
        }

        return snapshot.Approver is { } approver ? BetweenPersons(requestedBy, target, approver) : BetweenNames(requestedBy, target, snapshot);
    }

    /// <summary>The rule on directory persons (object ids), failing closed.</summary>
    static string? BetweenPersons(Identity.Requester? requestedBy, TargetUser? target, ApproverCheck approver)
    {
        if (approver.Names(requestedBy?.Id))
        {
            return $"four eyes: approved by the requester ({approver.Shown} is the same directory person); someone else must approve";
        }

        if (approver.Names(target?.Id))
        {
            return $"four eyes: approved by the user whose password it is ({approver.Shown} is the same directory person); someone else must approve";
        }

        if (approver.Automatic is not null)
        {
            return null; // an Indent rule or bot the operator listed (APPROVALS_AUTO_APPROVERS); the history records it
        }

        if (approver.Problem is { } problem)
        {
            return $"four eyes: {problem}, so it cannot be shown to be someone else's";
        }

        return approver.PersonIds.Count switch
        {
            0 => $"four eyes: the approver ({approver.Shown}) is not a person of the directory, so it cannot be shown to be someone else",
            > 1 => $"four eyes: the approver ({approver.Shown}) names {approver.PersonIds.Count} directory people, so it cannot be shown to be someone else",
            _ when approver.DisabledIds is { Count: > 0 } => $"four eyes: the approver ({approver.Shown}) is disabled in the directory",
            _ => null,
        };
    }

    /// <summary>The rule as a build before person resolution applied it (by name), kept so that histories recorded then
    /// replay the way they ran; every snapshot read since carries <see cref="PetitionSnapshot.Approver"/>.</summary>
    static string? BetweenNames(Identity.Requester? requestedBy, TargetUser? target, PetitionSnapshot snapshot)
    {
        var approver = snapshot.ApprovedBy ?? snapshot.DecidedBy;
        if (string.IsNullOrWhiteSpace(approver))
        {
            return "four eyes: the grant names no approver, so it cannot be shown to be someone else's";
        }

        if (requestedBy is { } requester && (Same(approver, requester.Email) || Same(approver, requester.Id)))
        {
            return $"four eyes: approved by the requester ({approver}); someone else must approve";
        }

        if (target is { } user && (Same(approver, user.Id) || user.SignInNames.Any(n => Same(approver, n))))
        {
            return $"four eyes: approved by the user whose password it is ({approver}); someone else must approve";
        }

        return null;
    }

    /// <summary>Who approved, for people to read: the approver as shown, and how an automatic approval was allowed.</summary>
    public static string? Describe(PetitionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.Approver is { Automatic: { } rule }
            ? $"approved automatically by {rule} (listed in {FourEyesOptions.AutoApproversSetting})"
            : null;
    }

    static bool Same(string a, string? b) => b is not null && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
