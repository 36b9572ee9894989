namespace Approvals.Core.Workflow;

/// <summary>The fallback poll schedule: the first poll after the initial interval, then each interval doubles up to
/// the cap. Polls grow logarithmically with the wait until the cap, then linearly.</summary>
public static class PollSchedule
{
    public static TimeSpan Next(TimeSpan interval, TimeSpan cap) => interval * 2 > cap ? cap : interval * 2;

    /// <summary>How many polls happen before a decision made <paramref name="decisionAfter"/> after the petition.</summary>
    public static int PollsBefore(TimeSpan decisionAfter, int initialSeconds, int maxSeconds)
    {
        var interval = TimeSpan.FromSeconds(initialSeconds);
        var cap = TimeSpan.FromSeconds(Math.Max(initialSeconds, maxSeconds));
        var at = interval;
        var polls = 0;
        while (at < decisionAfter)
        {
            polls++;
            interval = Next(interval, cap);
            at += interval;
        }

        return polls;
    }
}
