namespace Approvals.Core.Step;

/// <summary>Thrown by <see cref="ApprovalStepExtensions.RequestApprovalAsync"/> when there is no verified grant: the
/// request was denied, revoked, expired, cancelled, or failed (<see cref="Reason"/>, with <see cref="Refusal"/>'s detail).
/// Uncaught in your orchestrator, it fails the orchestration (its failure details name this type and carry the message);
/// the code after the call — your sensitive activity — never runs. Its message holds no secret: the reason, the step's
/// instance id, the petition and a sentence for people.</summary>
public sealed class ApprovalRefusedException : Exception
{
    public ApprovalRefusedException(ApprovalRefusal refusal, Exception? innerException = null)
        : base(Describe(refusal), innerException)
    {
        Refusal = refusal;
    }

    /// <summary>Why there is no grant, as the step returned it.</summary>
    public ApprovalRefusal Refusal { get; }

    /// <summary>Denied, Revoked, Expired, Cancelled or Failed.</summary>
    public ApprovalRefusalReason Reason => Refusal.Reason;

    /// <summary>A sentence for people (for a four-eyes refusal, which rule).</summary>
    public string? Detail => Refusal.Detail;

    static string Describe(ApprovalRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var petition = refusal.Petition is null ? "" : $" (petition {refusal.Petition})";
        var detail = string.IsNullOrWhiteSpace(refusal.Detail) ? "" : ": " + refusal.Detail;
        return $"Approval {refusal.InstanceId} was not granted{petition}: {refusal.Reason}{detail}";
    }
}
