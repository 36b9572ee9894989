namespace Approvals.Core.Actions;

/// <summary>A time-boxed action: what it gives lasts until the approved time is over, Indent revokes the grant or someone
/// cancels — then it is taken back, and only what this approval gave. On top of <see cref="ISensitiveAction"/> it records
/// the grant before the act, may answer that the grant is no longer live (the act then does nothing), and undoes.
/// The generic workflow (<c>TimeBoxedRun</c>) does the rest: the time box on Indent's clock (its grant time plus the
/// shorter of the asked and the approved duration), the hold (status <c>active</c>), the undo in rounds, and revoking
/// the grant in Indent when it ends by its time or a cancel. Its descriptor names the duration field
/// (<see cref="ActionDescription.DurationField"/>). Every method is idempotent: each may run again after a crash.</summary>
public interface ITimeBoxedAction : ISensitiveAction
{
    /// <summary>Records the grant before any act: who, what, for which approval, and <paramref name="notAfter"/> (the end of
    /// the time box). A record already there, ended or not, is kept as it is — an ended one is never made live again.</summary>
    Task RecordAsync(ActionRun run, DateTimeOffset notAfter, CancellationToken cancellationToken);

    /// <summary>Takes back what this approval's act gave, through the record (never what it did not give); true when this
    /// call took something back. Throw <see cref="Workflow.PermanentActivityFailureException"/> when retrying cannot help.</summary>
    Task<bool> UndoAsync(ActionRun run, CancellationToken cancellationToken);
}
