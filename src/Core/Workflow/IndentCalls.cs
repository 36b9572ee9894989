using Approvals.Core.Indent;

namespace Approvals.Core.Workflow;

/// <summary>Indent calls made from activities: a refusal retrying cannot fix (4xx) becomes a
/// <see cref="PermanentActivityFailureException"/>, so the activity retry policy stops; transient failures pass through
/// and are retried.</summary>
internal static class IndentCalls
{
    public static async Task<T> StopRetryingOnRefusal<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (IndentApiException e) when (!e.IsTransient)
        {
            throw new PermanentActivityFailureException(e.Message, e);
        }
    }
}
