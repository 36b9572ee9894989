using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Approvals.Core.Workflow;

/// <summary>The workflow's orchestrator and activities, listed once. The local host registers them on its durable
/// worker with <see cref="AddApprovalsTasks"/>; the Functions app binds a <c>[Function]</c> of the same name to each
/// (a test checks the two lists agree).</summary>
public static class ApprovalsTasks
{
    public static readonly IReadOnlyList<Type> Orchestrators = [typeof(ApprovalOrchestrator), typeof(AccessOrchestrator), typeof(CredentialRevealOrchestrator), typeof(ActionOrchestrator)];

    public static readonly IReadOnlyList<Type> Activities =
    [
        typeof(CreatePetitionActivity),
        typeof(GetPetitionActivity),
        typeof(ClosePetitionActivity),
        typeof(ResetPasswordActivity),
        typeof(VerifyAndResetActivity),
        typeof(DestroyCredentialActivity),
        typeof(AddGroupMemberActivity),
        typeof(RemoveGroupMemberActivity),
        typeof(RecordAccessGrantActivity),
        typeof(GrantAccessActivity),
        typeof(EndAccessActivity),
        typeof(RunActionActivity),
        typeof(VerifyAndActActivity),
        typeof(PrepareActionActivity),
        typeof(UndoActionActivity),
    ];

    /// <summary>Registers every orchestrator and activity on a durable worker, under its class name.</summary>
    public static DurableTaskRegistry AddApprovalsTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var orchestrator in Orchestrators)
        {
            registry.AddOrchestrator(orchestrator);
        }

        foreach (var activity in Activities)
        {
            registry.AddActivity(activity);
        }

        return registry;
    }

    /// <summary>Makes each activity resolvable from the container (the Functions wrappers resolve only the one called).</summary>
    public static IServiceCollection AddApprovalsActivities(this IServiceCollection services)
    {
        foreach (var activity in Activities)
        {
            services.TryAddTransient(activity);
        }

        return services;
    }
}
