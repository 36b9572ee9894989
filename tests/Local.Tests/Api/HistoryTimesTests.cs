using Approvals.Core.Http;
using Approvals.Local.Engine;
using DurableTask.Core.History;

namespace Approvals.Local.Tests.Api;

/// <summary>History times are when things happened: a timer's fired event, which both engines make when the timer is
/// created, is stamped with its due time.</summary>
public sealed class HistoryTimesTests
{
    static readonly DateTime Created = new(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
    static readonly DateTime Due = Created.AddMinutes(5);

    [Fact]
    public void ToAuditEntry_TimerFired_StampedWhenItFired_NotWhenItWasCreated()
    {
        var fired = new TimerFiredEvent(-1, Due) { TimerId = 3, Timestamp = Created };
        var created = new TimerCreatedEvent(3, Due) { Timestamp = Created };

        Assert.Equal(new DateTimeOffset(Due), DurableAudit.ToAuditEntry(fired).Timestamp);
        Assert.Equal(new DateTimeOffset(Created), DurableAudit.ToAuditEntry(created).Timestamp);
    }

    [Fact]
    public void ParseStoredHistory_TimerFired_StampedWhenItFired_NotWhenItWasCreated()
    {
        var json = """
            [{"EventType":"TimerCreated","EventId":3,"Timestamp":"2026-12-01T10:00:00Z","FireAt":"2026-12-01T10:05:00Z"},
             {"EventType":"TimerFired","EventId":-1,"TimerId":3,"Timestamp":"2026-12-01T10:00:00Z","FireAt":"2026-12-01T10:05:00Z"}]
            """;

        var entries = EngineHistorySource.ParseStoredHistory(json);

        Assert.Equal(new DateTimeOffset(Created), entries[0].Timestamp);
        Assert.Equal(new DateTimeOffset(Due), entries[1].Timestamp);
        Assert.Equal("timer 3 fired", entries[1].Detail);
    }
}
