namespace Approvals.Core.Workflow;

/// <summary>Four eyes, enforced by us whatever the Indent space allows: a grant approved by the person who asked, or
/// by the user whose password it is, is never acted on.</summary>
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

    static bool Same(string a, string? b) => b is not null && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
