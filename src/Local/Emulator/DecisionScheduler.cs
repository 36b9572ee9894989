using Approvals.Core.Indent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Emulator;

/// <summary>The emulator's clock-driven decisions: auto-decision rules on new petitions, and the revoke that ends a
/// timed grant. A hosted service: it resumes both for restored petitions when the host starts and cancels every
/// pending timer when it stops.</summary>
public sealed class DecisionScheduler(IndentEmulator emulator, TimeProvider time, ILogger<DecisionScheduler> logger) : IHostedService, IDisposable
{
    readonly CancellationTokenSource stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        emulator.PetitionChanged += OnChanged;
        foreach (var petition in emulator.Restore())
        {
            OnChanged(petition);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        emulator.PetitionChanged -= OnChanged;
        stopping.Cancel();
        return Task.CompletedTask;
    }

    void OnChanged(Petition petition)
    {
        if (petition.Phase == IndentPhases.Open && petition.State?.EventHistory is { Count: 1 })
        {
            ScheduleRule(petition);
        }

        if (PetitionMachine.GrantExpiry(petition) is { } expires)
        {
            Later(expires - time.GetUtcNow(), () =>
            {
                if (emulator.Get(petition.Name!).Phase == IndentPhases.Granted)
                {
                    emulator.Claim(petition.Name!, new IndentEvent { EventType = IndentEventTypes.Revoke, Id = "expiry-" + petition.Name, Reason = "access grant expired" }, IndentEmulator.AutoApprover);
                }
            });
        }
    }

    void ScheduleRule(Petition petition)
    {
        var rule = emulator.Rules.FirstOrDefault(r => petition.Resources!.Any(res => r.Matches($"{res.Kind}:{res.Id}")));
        if (rule is null || rule.Decision == DecisionRule.Manual)
        {
            return;
        }

        var due = (petition.Meta?.CreateTime ?? time.GetUtcNow()) + TimeSpan.FromSeconds(rule.AfterSeconds) - time.GetUtcNow();
        Later(due, () =>
        {
            if (emulator.Get(petition.Name!).Phase != IndentPhases.Open)
            {
                return;
            }

            var claim = rule.Decision == DecisionRule.Approve
                ? new IndentEvent { EventType = IndentEventTypes.Approve, Id = "auto-" + petition.Name, Reason = "approved by rule " + rule.Pattern, Meta = rule.Duration is null ? null : new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = rule.Duration } } }
                : new IndentEvent { EventType = IndentEventTypes.Deny, Id = "auto-" + petition.Name, Reason = "denied by rule " + rule.Pattern };
            emulator.Claim(petition.Name!, claim, IndentEmulator.AutoApprover);
        });
    }

    void Later(TimeSpan due, Action action)
    {
        var token = stopping.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, time, token);
                }

                action();
            }
            catch (OperationCanceledException)
            {
            }
            catch (EmulatorException e)
            {
                logger.LogDebug("Scheduled transition skipped: {Reason}", e.Message);
            }
        }, CancellationToken.None);
    }

    public void Dispose() => stopping.Dispose();
}
